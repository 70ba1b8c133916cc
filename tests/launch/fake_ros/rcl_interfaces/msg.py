from fake_msg import message_module_getattr as __getattr__  # noqa: F401
