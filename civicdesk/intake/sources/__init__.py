"""Channel adapters: each turns what arrives from outside into calls of `intake.services`."""
