"""Methods whose module is imported on first use.

The socket class's optional methods (recvmmsg and sendmmsg, sendmsg_afalg)
live in modules of their own that ``import sockcffi`` need not load: on
PyPy each module imported at startup costs time, and most programs never
call these.  The class gets a ``LoadedOnFirstUse`` in their place; the
first lookup of the attribute, on the class or an instance, imports the
module and puts the real function where the stand-in was, so from then on
(and already in what that first lookup returns) the method is the module's
own function: ``help()``, ``inspect.signature()`` and ``is`` see no
difference.
"""
import sys

__all__ = []


def package():
    """The sockcffi package module, looked up at each call: names patched
    on it (tests, tools) are honoured."""
    return sys.modules[__name__.rpartition(".")[0]]


class LoadedOnFirstUse:
    """Stands for function ``name`` of module ``module`` as an attribute of
    class ``owner`` until first looked up."""

    def __init__(self, owner, module, name):
        self.owner, self.module, self.name = owner, module, name

    def __get__(self, obj, cls=None):
        __import__(self.module)
        function = getattr(sys.modules[self.module], self.name)
        setattr(self.owner, self.name, function)
        return function.__get__(obj, cls)
