"""Gathers: how a group of the tape reads its operands from the blocks, and scatters gradients back."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

# --- the tape: groups of instructions, evaluated as array operations ---------------------------


class Gather:
    """How one operand of a group is read: a (batch, width) array assembled from block columns.

    Each segment takes some of the operand's positions from one block.  The
    transpose, ``scatter``, adds a gradient for the operand into the blocks'
    gradients; columns used several times get the sum of their gradients.
    """

    IDENT, SAME, SLICE, UNIQUE, DUP = range(5)

    def __init__(self, np: Any, locs: Sequence[Tuple[int, int]], widths: Sequence[int],
                 bdep: Sequence[bool]) -> None:
        self.np = np
        self.width = len(locs)
        by_block: Dict[int, Tuple[List[int], List[int]]] = {}
        for pos, (block, col) in enumerate(locs):
            positions, cols = by_block.setdefault(block, ([], []))
            positions.append(pos)
            cols.append(col)
        self.bdep = any(bdep[b] for b in by_block)
        self.blocks = frozenset(by_block)
        self.single = len(by_block) == 1
        self.segments = []
        for block, (positions, cols) in by_block.items():
            c = np.asarray(cols, dtype=np.intp)
            extra: Any = None
            if self.single and cols == list(range(widths[block])):
                mode = self.IDENT
            elif len(set(cols)) == 1:
                mode, extra = self.SAME, cols[0]
            elif cols == list(range(cols[0], cols[0] + len(cols))):
                mode, extra = self.SLICE, slice(cols[0], cols[0] + len(cols))
            elif len(set(cols)) == len(cols):
                mode = self.UNIQUE
            else:
                mode = self.DUP
                order = np.argsort(c, kind="stable")
                ordered = c[order]
                starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
                extra = (order, starts, ordered[starts])
            self.segments.append((block, np.asarray(positions, dtype=np.intp), c, mode, extra))
        # each segment's positions as a slice where they run in order (a view, not a copy, of the operand)
        self.takes = [slice(p[0], p[0] + len(p)) if p == list(range(p[0], p[0] + len(p))) else np.asarray(p)
                      for p in (positions for positions, _ in by_block.values())]

    def build(self, blocks: List[Any], full: bool = False) -> Any:
        """The operand: shape (rows, width), or (rows, 1) for one column broadcast unless ``full``."""
        if self.single:
            block, _, cols, mode, extra = self.segments[0]
            src = blocks[block]
            if mode == self.IDENT:
                return src
            if mode == self.SAME:
                col = src[:, extra:extra + 1]
                return self.np.broadcast_to(col, (col.shape[0], self.width)) if full else col
            if mode == self.SLICE:
                return src[:, extra]
            return src[:, cols]
        rows = max(blocks[block].shape[0] for block in self.blocks)
        out = self.np.empty((rows, self.width))
        for block, positions, cols, mode, extra in self.segments:
            src = blocks[block]
            out[:, positions] = src[:, extra:extra + 1] if mode == self.SAME else src[:, cols]
        return out

    @property
    def positions(self) -> List[Any]:
        """The operand's positions taken from each block, segment by segment."""
        return [positions for _, positions, _, _, _ in self.segments]

    def parts(self, blocks: List[Any]) -> List[Any]:
        """The operand segment by segment, ``(rows, k)`` each -- or ``(1, k)`` for a batch-independent
        one (a constant) -- without assembling (or copying) it."""
        if self.single:
            return [self.build(blocks, full=True)]
        out = []
        for block, positions, cols, mode, extra in self.segments:
            src = blocks[block]
            if mode == self.SAME:
                out.append(self.np.broadcast_to(src[:, extra:extra + 1], (src.shape[0], len(positions))))
            else:
                out.append(src[:, extra] if mode == self.SLICE else src[:, cols])
        return out

    def scatter(self, contrib: Any, grads: List[Any], shapes: List[Tuple[int, int]], requires: Sequence[bool],
                reduce_batch: Sequence[bool]) -> None:
        """Add ``contrib`` (rows, width or 1) into the gradients of the blocks that need one."""
        np = self.np
        if contrib.shape[1] != self.width:
            contrib = np.broadcast_to(contrib, (contrib.shape[0], self.width))
        for (block, positions, cols, mode, extra), take in zip(self.segments, self.takes):
            if not requires[block]:
                continue
            part = contrib if self.single else contrib[:, take]
            if reduce_batch[block] and part.shape[0] > 1:
                part = part.sum(axis=0, keepdims=True)
            acc = grads[block]
            if acc is None:
                if part.shape == shapes[block] and (mode == self.IDENT or (
                        mode == self.SLICE and extra.start == 0 and extra.stop == part.shape[1])):
                    grads[block] = part + 0.0  # the whole block: 0 + part, in one pass (and a copy of part)
                    continue
                acc = grads[block] = np.zeros(shapes[block])
            if mode == self.IDENT:
                acc += part
            elif mode == self.SAME:
                acc[:, extra] += part.sum(axis=1)
            elif mode == self.SLICE:
                acc[:, extra] += part
            elif mode == self.UNIQUE:
                acc[:, cols] += part
            else:
                order, starts, unique = extra
                acc[:, unique] += np.add.reduceat(part[:, order], starts, axis=1)

