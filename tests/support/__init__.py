"""What several test modules use that is neither a factory nor a fixture: saved pages, raw HTTP."""
