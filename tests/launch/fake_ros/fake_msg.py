"""Message modules of the fake: any class name is a message taking keyword fields."""


class Message:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        value = Message()
        self.__dict__[name] = value
        return value


def message_module_getattr(name):
    return type(name, (Message,), {})
