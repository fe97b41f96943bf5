"""Who speaks: stakeholder and facilitator agents, their prompts and rubric, and the model factory."""
