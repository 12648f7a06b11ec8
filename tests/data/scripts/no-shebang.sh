echo {"status": "[DONE]"}
