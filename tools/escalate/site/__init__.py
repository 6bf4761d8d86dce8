"""The published playbook site: generated pages, safe output, assets (used by the MkDocs plugin)."""
