"""Docstring sections shared by several classes, written once.

A class docstring names a shared section by a marker line (for example ``    <sample_weight>``);
the class decorator made by :func:`shared_sections` replaces each marker with the section's text,
so ``help()`` and the docs show the full docstring while the source holds the text once.
"""


def shared_sections(sections):
    """A class decorator expanding ``{marker line: text}`` in the decorated class's docstring."""
    def expand(cls):
        for marker, text in sections.items():
            cls.__doc__ = cls.__doc__.replace(marker, text)
        return cls
    return expand
