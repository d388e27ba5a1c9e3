"""The TypeScript SDK target: an npm package with interfaces, a typed tracker and validators
compiled ahead of time from the published JSON Schemas.

Owns: the TypeScript model plan (``modelplan``: every interface, property key, annotation and
method name, computed once), the registry of names the runtime templates already use
(``reserved``), the name check (``codenames``) and the generator (``package``). May import
``config``, ``plan`` and the sibling generator modules ``render``, ``jsonschema``, ``paths``
and ``samples``; it does not need Node: ``npm run build`` in the output compiles the validators.
"""
