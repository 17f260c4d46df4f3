"""``keras1_conv_args``: ``Conv2D(32, 3, 3)``, Keras 1's way to write a 3×3 kernel.

Keras 2 read it the same way (with a warning); Keras 3 reads the third number as
``strides``, silently. Reported always; the rewrite to ``Conv2D(32, (3, 3))`` is
``review`` because it changes the model's size (a stride-1 kernel makes bigger
maps than the stride the script trains with today).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from kerasfix.keras2.calls import has_star, positionals
from kerasfix.keras2.edits import ArgsEdit, Found
from kerasfix.keras2.source import Source, code_of
from kerasfix.rewrite.seq import Seq

KIND = "keras1_conv_args"

#: Layer class → number of kernel dimensions.
CONVOLUTIONS = {
    "Conv2D": 2,
    "Convolution2D": 2,
    "SeparableConv2D": 2,
    "SeparableConvolution2D": 2,
    "Conv2DTranspose": 2,
    "Conv3D": 3,
    "Convolution3D": 3,
}


def _scalar(expr: cst.BaseExpression) -> bool:
    """A kernel size written as one number (a literal int, a plain name, or one element ``sizes[0]``), not a tuple."""
    if isinstance(expr, cst.Subscript):
        index = expr.slice[0].slice if len(expr.slice) == 1 else None
        return (
            isinstance(expr.value, (cst.Name, cst.Attribute))
            and isinstance(index, cst.Index)
            and isinstance(index.value, (cst.Integer, cst.UnaryOperation))
        )
    return isinstance(expr, (cst.Integer, cst.Name))


def find(src: Source) -> Iterator[Found]:
    for call in src.calls:
        layer = src.keras_layer(call)
        dims = CONVOLUTIONS.get(layer or "")
        if dims is None:
            continue
        args = positionals(call)
        if len(args) < 1 + dims or not all(_scalar(a.value) for a in args[1 : 1 + dims]):
            continue
        sizes = [code_of(a.value) for a in args[1 : 1 + dims]]
        kernel = f"({', '.join(sizes)})"
        message = (
            f"`{layer}({code_of(args[0].value)}, {', '.join(sizes)})` is Keras 1 for a {'×'.join(sizes)} kernel; "
            f"Keras 3 reads it as kernel_size={sizes[0]}, strides={sizes[1]}"
            + (f", padding={sizes[2]}" if dims == 3 else "")
            + ", so the layer silently downsamples"
        )
        replacement = f"write the kernel as a tuple: {layer}({code_of(args[0].value)}, {kernel}, …)"
        extra_positionals = len(args) > 1 + dims
        if extra_positionals or has_star(call):
            yield Found(src.migration(call, KIND, "conv_kernel_positional", message, "display", replacement))
            continue
        yield Found(src.migration(call, KIND, "conv_kernel_positional", message, "review", replacement), (_merge_kernel(call, dims),))


def _merge_kernel(call: cst.Call, dims: int) -> ArgsEdit:
    def change(seq: Seq[cst.Arg]) -> None:
        values = [seq.items[i].value for i in range(1, 1 + dims)]
        elements = [
            cst.Element(v, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if i < dims - 1 else cst.MaybeSentinel.DEFAULT)
            for i, v in enumerate(values)
        ]
        seq.items[1] = seq.items[1].with_changes(value=cst.Tuple(elements))
        for _ in range(dims - 1):
            seq.remove(2)

    return ArgsEdit(call, change)
