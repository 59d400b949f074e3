"""Runs submitted model code under limits and nothing else; imports no Django.

Start here: `sandbox.backends.start_sandbox` returns a `sandbox.client.ModelClient`; every failure
is one `sandbox.errors.SandboxError` subclass, whose `category` is the stable failure code.
"""
