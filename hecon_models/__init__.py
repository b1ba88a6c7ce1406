"""Model definitions, one module each; see hecon.model for the protocol."""
