"""A line-by-line Python transcription of Apache DataSketches' KLL sketch (datasketches-cpp
kll/include/kll_sketch_impl.hpp and kll_helper_impl.hpp) with our coin: splitmix64 bits, lowest first, one per
halving. Slow and obviously faithful; tests hold the C implementation to the very same levels."""

from __future__ import annotations

import math

M = 8
_MASK = (1 << 64) - 1


def _int_cap_aux_aux(k: int, depth: int) -> int:
    return (((2 * k) << depth) // 3**depth + 1) >> 1


def _int_cap_aux(k: int, depth: int) -> int:
    if depth <= 30:
        return _int_cap_aux_aux(k, depth)
    half = depth // 2
    return _int_cap_aux_aux(_int_cap_aux_aux(k, half), depth - half)


class RefKll:
    def __init__(self, k: int, seed: int) -> None:
        self.k, self.num_levels, self.levels = k, 1, [k, k]
        self.items: list[float] = [0.0] * k
        self.n, self.level_zero_sorted = 0, False
        self.rng, self.bits, self.nbits = seed, 0, 0
        self.min, self.max = math.nan, math.nan

    def _bit(self) -> int:
        if self.nbits == 0:
            self.rng = (self.rng + 0x9E3779B97F4A7C15) & _MASK
            z = self.rng
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
            self.bits, self.nbits = z ^ (z >> 31), 64
        bit = self.bits & 1
        self.bits >>= 1
        self.nbits -= 1
        return bit

    def cap(self, num_levels: int, height: int) -> int:
        return max(M, _int_cap_aux(self.k, num_levels - height - 1))

    def total_capacity(self, num_levels: int) -> int:
        return sum(self.cap(num_levels, h) for h in range(num_levels))

    def _halve_down(self, buf: list[float], start: int, length: int) -> None:
        j = start + self._bit()
        for i in range(start, start + length // 2):
            buf[i] = buf[j]
            j += 2

    def _compact(self, items: list[float], level: int, adj_beg: int, adj_pop: int, raw_lim: int,
                 pop_above: int) -> None:
        """Both compressions' core: sort level zero, keep every other item, merge them into the level above."""
        if level == 0 and not self.level_zero_sorted:
            items[adj_beg:adj_beg + adj_pop] = sorted(items[adj_beg:adj_beg + adj_pop])
        if pop_above == 0:
            self._halve_up(items, adj_beg, adj_pop)
        else:
            half = adj_pop // 2
            self._halve_down(items, adj_beg, adj_pop)
            self._merge_into(items, adj_beg, half, raw_lim, pop_above, adj_beg + half)

    def _halve_up(self, buf: list[float], start: int, length: int) -> None:
        j = start + length - 1 - self._bit()
        for i in range(start + length - 1, start + length // 2 - 1, -1):
            buf[i] = buf[j]
            j -= 2

    @staticmethod
    def _merge_into(buf: list[float], a: int, len_a: int, b: int, len_b: int, c: int) -> None:
        run_a, run_b = buf[a:a + len_a], buf[b:b + len_b]
        buf[c:c + len_a + len_b] = _merge(run_a, run_b)

    def update(self, value: float) -> None:
        if math.isnan(value):
            return
        self.min = value if self.n == 0 or value < self.min else self.min
        self.max = value if self.n == 0 or value > self.max else self.max
        self._internal_update(value)

    def _internal_update(self, value: float) -> None:
        if self.levels[0] == 0:
            self._compress_while_updating()
        self.n += 1
        self.level_zero_sorted = False
        self.levels[0] -= 1
        self.items[self.levels[0]] = value

    def _add_empty_top_level(self) -> None:
        delta = self.cap(self.num_levels + 1, 0)
        self.items = [0.0] * delta + self.items
        self.levels = [lv + delta for lv in self.levels[:self.num_levels + 1]]
        self.num_levels += 1
        self.levels.append(len(self.items))

    def _compress_while_updating(self) -> None:
        level = 0
        while self.levels[level + 1] - self.levels[level] < self.cap(self.num_levels, level):
            level += 1
        if level == self.num_levels - 1:
            self._add_empty_top_level()
        lv, items = self.levels, self.items
        raw_beg, raw_lim = lv[level], lv[level + 1]
        pop_above, raw_pop = lv[level + 2] - raw_lim, raw_lim - raw_beg
        odd = raw_pop % 2
        adj_beg, adj_pop = raw_beg + odd, raw_pop - odd
        half = adj_pop // 2
        self._compact(items, level, adj_beg, adj_pop, raw_lim, pop_above)
        lv[level + 1] -= half
        if odd:
            lv[level] = lv[level + 1] - 1
            items[lv[level]] = items[raw_beg]
        else:
            lv[level] = lv[level + 1]
        if level > 0:
            amount = raw_beg - lv[0]
            items[lv[0] + half:lv[0] + half + amount] = items[lv[0]:lv[0] + amount]
            for h in range(level):
                lv[h] += half

    def level(self, h: int) -> list[float]:
        return self.items[self.levels[h]:self.levels[h + 1]] if h < self.num_levels else []

    def merge(self, other: RefKll) -> None:
        if other.n == 0:
            return
        lo = other.min if self.n == 0 or other.min < self.min else self.min
        hi = other.max if self.n == 0 or other.max > self.max else self.max
        final_n = self.n + other.n
        for value in other.level(0):
            self._internal_update(value)
        if other.num_levels >= 2:
            self._merge_higher_levels(other)
        self.n, self.min, self.max = final_n, lo, hi

    def _merge_higher_levels(self, other: RefKll) -> None:
        provisional = max(self.num_levels, other.num_levels)
        work = list(self.level(0))
        in_levels = [0, len(work)]
        for h in range(1, provisional):
            work += _merge(self.level(h), other.level(h))
            in_levels.append(len(work))
        num_levels, out_items, out_levels = self._general_compress(provisional, work, in_levels)
        capacity = self.total_capacity(num_levels)
        free = capacity - len(out_items)
        self.items = [0.0] * free + out_items
        self.levels = [lv + free for lv in out_levels]
        self.num_levels = num_levels

    def _general_compress(self, num_levels: int, items: list[float],
                          in_levels: list[int]) -> tuple[int, list[float], list[int]]:
        in_levels = in_levels + [0] * 64
        out_levels = [0] * (len(in_levels) + 1)
        count, target = in_levels[num_levels] - in_levels[0], self.total_capacity(num_levels)
        level = 0
        while True:
            if level == num_levels - 1:
                in_levels[level + 2] = in_levels[level + 1]
            raw_beg, raw_lim = in_levels[level], in_levels[level + 1]
            raw_pop = raw_lim - raw_beg
            if count < target or raw_pop < self.cap(num_levels, level):
                items[out_levels[level]:out_levels[level] + raw_pop] = items[raw_beg:raw_lim]
                out_levels[level + 1] = out_levels[level] + raw_pop
            else:
                pop_above = in_levels[level + 2] - raw_lim
                odd = raw_pop % 2
                adj_beg, adj_pop = raw_beg + odd, raw_pop - odd
                half = adj_pop // 2
                if odd:
                    items[out_levels[level]] = items[raw_beg]
                out_levels[level + 1] = out_levels[level] + odd
                self._compact(items, level, adj_beg, adj_pop, raw_lim, pop_above)
                count -= half
                in_levels[level + 1] -= half
                if level == num_levels - 1:
                    num_levels += 1
                    target += self.cap(num_levels, 0)
            if level == num_levels - 1:
                break
            level += 1
        return num_levels, items[:count], out_levels[:num_levels + 1]

    def levels_out(self) -> list[list[float]]:
        """As `KllSketch.levels()`, with its side effect (DataSketches' too): level zero sorted in place."""
        lo, hi = self.levels[0], self.levels[1]
        self.items[lo:hi] = sorted(self.items[lo:hi])
        self.level_zero_sorted = True
        return [self.level(h) for h in range(self.num_levels)]


def _merge(a: list[float], b: list[float]) -> list[float]:
    """kll_helper::merge_sorted_arrays: take from a only when strictly smaller (ties take b first)."""
    out, i, j = [], 0, 0
    while i < len(a) or j < len(b):
        if i < len(a) and (j == len(b) or a[i] < b[j]):
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out
