"""Provider adapters (ModelClient): OpenAI-compatible, Anthropic, ... built from the layers below."""
