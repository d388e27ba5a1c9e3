"""Interop and change control: import Segment Protocols plans and JSON Schemas, export to
Segment, diff two plans. Importers produce plan YAML through :mod:`codegen.interop.build`."""
