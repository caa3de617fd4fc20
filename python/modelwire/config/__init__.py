"""Model configuration (pydantic): ModelSpec, LLMConfig, and the legacy LiteLLM Router shapes they accept."""
