"""Everything that differs between model providers, in one package (only ``agents.models`` uses it).

- ``profile``: who serves the model (from the settings and the URL) and the request shape it takes.
- ``memory``: what was learned about an endpoint (token limit, temperature, structured-output method).
- ``schemas``: per-call JSON schemas (strict where the provider wants it), prompt text for json_mode.
- ``replies``: reading a reply or a stream into JSON, partial text, usage, finish reason.
- ``deadline``: one overall deadline per model reply, enforced on the HTTP transport.
- ``failures``: every provider failure as the app's one-line error (the URL and the setting to change).
- ``doctor``: probes an endpoint and says which settings to use.
"""
