"""Server-rendered pages, one module per role. Views are thin: they parse the form, call the
same service or selector the API calls, and show a refusal (DomainError) as a message."""
