"""Search spaces (torch-free to import; networks are built with torch on demand).

`get_space(name)` returns a registered space (nb101, nb201, nb301, tnb101_micro,
tnb101_macro) or loads a user's class given as 'package.module:Class'.
"""

from zcgp.errors import UserInputError
from zcgp.spaces.base import SearchSpace

# name -> "module:attribute" holding the space instance, imported on first use
SPACES = {
    "nb101": "zcgp.spaces.nb101:SPACE",
    "nb201": "zcgp.spaces.nb201:SPACE",
    "nb301": "zcgp.spaces.nb301:SPACE",
    "tnb101_micro": "zcgp.spaces.tnb101:MICRO",
    "tnb101_macro": "zcgp.spaces.tnb101:MACRO",
}

# what a user space must provide (see `SearchSpace`)
PROTOCOL = ("normalize", "sample", "mutate", "key", "build", "to_string")


def get_space(name: str) -> SearchSpace:
    """The space registered under `name` (e.g. 'nb201'), or an instance of the user class
    'package.module:Class' (it must implement the `SearchSpace` methods and have `name` and
    `tasks`).

    Parameters
    ----------
    name : str
        A registered name of `SPACES` (case-insensitive, surrounding blanks ignored), or
        'package.module:attribute' naming a `SearchSpace` class or instance (see
        `load_user_space`).

    Returns
    -------
    SearchSpace
        The registered space's shared instance (its module is imported on first use), or the
        user's space.

    Raises
    ------
    UserInputError
        When `name` is neither registered nor a loadable 'package.module:Class'.

    Examples
    --------
    >>> space = get_space("NB201")
    >>> space.name, space.tasks["cifar10"]
    ('nb201', (10, 32))
    >>> space.normalize("(0, 2, 3, 2, 3, 1)")
    (0, 2, 3, 2, 3, 1)
    >>> get_space("nb999")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zcgp.errors.UserInputError: unknown search space 'nb999'; known: nb101, nb201, nb301, ...
    """
    text = (name or "").strip()
    if ":" in text:
        return load_user_space(text)
    key = text.lower()
    if key not in SPACES:
        raise UserInputError(f"unknown search space '{name}'; known: {', '.join(SPACES)} "
                             "or package.module:Class")
    return _load_attribute(SPACES[key])


def _load_attribute(spec: str):
    import importlib

    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserInputError(f"cannot import search space module '{module_name}': {exc}") from None
    if not attribute or not hasattr(module, attribute):
        raise UserInputError(f"module '{module_name}' has no attribute '{attribute}'")
    return getattr(module, attribute)


def load_user_space(spec: str) -> SearchSpace:
    """Instantiate 'package.module:Class' (or take a ready instance) and check the protocol.

    Parameters
    ----------
    spec : str
        'package.module:attribute'; the attribute is a class (called without arguments) or a
        ready space instance.

    Returns
    -------
    SearchSpace
        The space. It has every method of `PROTOCOL` and a non-empty `tasks` dict; a space
        without a `name` gets `spec` as its name.

    Raises
    ------
    UserInputError
        When the module cannot be imported, lacks the attribute, the constructor raises, a
        method of `PROTOCOL` is missing, or `tasks` is missing or empty.
    """
    target = _load_attribute(spec)
    try:
        space = target() if isinstance(target, type) else target
    except Exception as exc:  # noqa: BLE001 -- the user's constructor, reported in one line
        raise UserInputError(f"cannot create search space {spec}: {type(exc).__name__}: {exc}") from None
    missing = [m for m in PROTOCOL if not callable(getattr(space, m, None))]
    tasks = getattr(space, "tasks", None)
    if missing:
        raise UserInputError(f"search space {spec} lacks {', '.join(missing)} (see zcgp.spaces.SearchSpace)")
    if not isinstance(tasks, dict) or not tasks:
        raise UserInputError(f"search space {spec} needs `tasks`: {{task: (classes, input resolution)}}")
    if not getattr(space, "name", ""):
        space.name = spec
    return space


__all__ = ["PROTOCOL", "SPACES", "SearchSpace", "get_space", "load_user_space"]
