"""Matching free text to gazetteer names, vectorised: the core of the geocoder
(:mod:`geo.ingest.geocode`).

Text and names are compared word by word with rapidfuzz (``process.cdist`` over the
distinct words, optimal string alignment distance), allowing a slip or two after the
first letter of longer words. A name scores by how much of it the text holds, words
weighted by their rarity in the gazetteer; the runner-up that matters is the best name
naming a different place (more than ``same_place_m`` away).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA

from geo.core.types import BoolArray, FloatArray, IntArray

__all__ = ["NameMatches", "match_names"]

#: What each slip in a word costs its similarity (one slip: 0.94).
_EDIT_COST: Final = 0.06


@dataclass(frozen=True)
class NameMatches:
    """Per distinct text: the best entry (-1 for none), its score, the best score of an
    entry naming a different place."""

    best: IntArray
    score: FloatArray
    runner_up: FloatArray


def _allowed_edits(length: IntArray, max_edits: int) -> IntArray:
    """Slips a word may hold and still be a name's word: none below five letters, one up
    to nine, two from ten (never more than ``max_edits``)."""
    allowed = np.where(length >= 10, 2, np.where(length >= 5, 1, 0))
    return np.minimum(allowed, max_edits).astype(np.int64)


def _token_matches(
    query_tokens: npt.NDArray[np.object_], vocab: npt.NDArray[np.object_], max_edits: int
) -> tuple[IntArray, IntArray, FloatArray]:
    """(query token, vocabulary token, similarity) for every exact or near match.

    A word may be a slip for a gazetteer word ("Bridgwter" for "Bridgwater"): rapidfuzz's
    optimal-string-alignment distance (a swap of neighbouring letters is one edit) within
    :func:`_allowed_edits`, each edit costing :data:`_EDIT_COST` of the word's similarity.
    The first letter must agree, and words are compared only with words of the same first
    letter and a length within reach, a block at a time (``process.cdist``).
    """
    vocab_index = pd.Index(vocab)
    exact = vocab_index.get_indexer(pd.Index(query_tokens))
    qi: list[IntArray] = [np.flatnonzero(exact >= 0)]
    vi: list[IntArray] = [exact[exact >= 0].astype(np.int64)]
    sims: list[FloatArray] = [np.ones(len(qi[0]))]
    q_len = np.fromiter((len(t) for t in query_tokens), dtype=np.int64, count=len(query_tokens))
    v_len = np.fromiter((len(t) for t in vocab), dtype=np.int64, count=len(vocab))
    allowed = _allowed_edits(q_len, max_edits)
    # a slip is looked for after the first letter only: "alley" is not "Calley"
    first = np.array([t[:1] for t in query_tokens], dtype=object)
    v_first = np.array([t[:1] for t in vocab], dtype=object)
    # a word that is a gazetteer word may still be a slip for another ("tersal" for
    # "tertal"): every long-enough word is compared
    fuzzy = np.flatnonzero(allowed > 0)
    # words whose lengths differ by more than the edits allowed cannot match: compare
    # each length with its neighbours only
    for length in np.unique(q_len[fuzzy]):
        rows = fuzzy[q_len[fuzzy] == length]
        edits = int(allowed[rows[0]])
        for letter in np.unique(first[rows]):
            chunk_rows = rows[first[rows] == letter]
            cols = np.flatnonzero((np.abs(v_len - length) <= edits) & (v_first == letter))
            if cols.size == 0:
                continue
            _near_words(query_tokens, vocab, chunk_rows, cols, edits, qi, vi, sims)
    return np.concatenate(qi), np.concatenate(vi), np.concatenate(sims)


def _near_words(
    query_tokens: npt.NDArray[np.object_],
    vocab: npt.NDArray[np.object_],
    rows: IntArray,
    cols: IntArray,
    edits: int,
    qi: list[IntArray],
    vi: list[IntArray],
    sims: list[FloatArray],
) -> None:
    """Append the (row, col, similarity) of words ``rows`` within ``edits`` of ``cols``."""
    choices = list(vocab[cols])
    for start in range(0, rows.size, 4000):
        chunk = rows[start : start + 4000]
        dist = process.cdist(
            list(query_tokens[chunk]),
            choices,
            scorer=OSA.distance,
            score_cutoff=edits,
            dtype=np.uint8,
            workers=-1,
        )
        r, c = np.nonzero((dist <= edits) & (dist > 0))
        qi.append(chunk[r])
        vi.append(cols[c])
        sims.append(1.0 - _EDIT_COST * dist[r, c].astype(float))


def match_names(
    texts: pd.Series,
    keys: pd.Series,
    x: FloatArray,
    y: FloatArray,
    *,
    same_place_m: float,
    max_edits: int,
    threshold: float,
    margin: float,
) -> NameMatches:
    """Score each distinct normalised text against every gazetteer key that could match.

    A key's score is the share of its words (weighted by rarity in the gazetteer) found in
    the text, times each word's similarity: extra words in the text cost nothing
    ("costa south street" holds "south street" entirely), missing words do. Candidates are
    the keys whose rarest word is in the text (a key scoring 90 or more must have it).

    A key matched by some of the text's words gives way to a key reaching ``threshold``
    that is matched by those words and more ("stannorstow wickray crescent" holds
    "wickray crescent"). The runner-up is the best key lying more than ``same_place_m``
    from the best; a key written exactly is rivalled only by keys written exactly.
    """
    n_text = len(texts)
    none = NameMatches(np.full(n_text, -1, dtype=np.int64), np.zeros(n_text), np.zeros(n_text))
    if n_text == 0 or keys.empty:
        return none
    # gazetteer words, their rarity and each key's weights
    key_words = keys.str.split().explode()
    key_of_word = key_words.index.to_numpy(dtype=np.int64)
    vocab, word_id = np.unique(key_words.to_numpy(dtype=str), return_inverse=True)
    pairs = pd.DataFrame({"key": key_of_word, "word": word_id}).drop_duplicates()
    df = np.bincount(pairs["word"].to_numpy(), minlength=vocab.size)
    idf = np.log1p(len(keys) / np.maximum(df, 1))
    kw = pairs["key"].to_numpy(dtype=np.int64)
    ww = pairs["word"].to_numpy(dtype=np.int64)
    weight = idf[ww]
    weight = weight / np.bincount(kw, weights=weight, minlength=len(keys))[kw]
    # the rarest word of each key blocks the candidates
    order = np.lexsort((-idf[ww], kw))
    first = np.ones(order.size, dtype=bool)
    first[1:] = kw[order][1:] != kw[order][:-1]
    block_key = kw[order][first]
    block_word = ww[order][first]
    by_word = np.argsort(block_word, kind="stable")
    block_word_sorted = block_word[by_word]
    block_key_sorted = block_key[by_word]

    # text words -> gazetteer words with their similarity
    text_words = texts.str.split().explode()
    text_words = text_words.loc[text_words.notna() & (text_words != "")]
    if text_words.empty:
        return none
    t_of_word = text_words.index.to_numpy(dtype=np.int64)
    q_vocab, q_id = np.unique(text_words.to_numpy(dtype=str), return_inverse=True)
    mq, mv, ms = _token_matches(q_vocab.astype(object), vocab.astype(object), max_edits)
    tw = pd.DataFrame({"text": t_of_word, "q": q_id}).merge(
        pd.DataFrame({"q": mq, "word": mv, "sim": ms}), on="q"
    )
    if tw.empty:
        return none
    # per text and gazetteer word: the best similarity and the text's word that gave it
    tw = tw.sort_values(["text", "word", "sim"], ascending=[True, True, False], kind="stable")
    tw = tw.drop_duplicates(["text", "word"])
    t_text = tw["text"].to_numpy(dtype=np.int64)
    t_word = tw["word"].to_numpy(dtype=np.int64)
    t_sim = tw["sim"].to_numpy(dtype=float)
    t_q = tw["q"].to_numpy(dtype=np.int64)
    t_code = t_text * vocab.size + t_word  # sorted

    # candidate (text, key) pairs: the key's rarest word is in the text
    lo = np.searchsorted(block_word_sorted, t_word, side="left")
    hi = np.searchsorted(block_word_sorted, t_word, side="right")
    count = hi - lo
    if count.sum() == 0:
        return none
    c_text = np.repeat(t_text, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    c_key = block_key_sorted[np.repeat(lo, count) + offset]
    # score: each key word's weight times its best similarity in the text
    key_order = np.argsort(kw, kind="stable")
    kw_s, ww_s, weight_s = kw[key_order], ww[key_order], weight[key_order]
    k_lo = np.searchsorted(kw_s, c_key, side="left")
    k_n = np.searchsorted(kw_s, c_key, side="right") - k_lo
    pair = np.repeat(np.arange(c_key.size), k_n)
    at = np.arange(k_n.sum()) - np.repeat(np.cumsum(k_n) - k_n, k_n) + np.repeat(k_lo, k_n)
    code = c_text[pair] * vocab.size + ww_s[at]
    pos = np.searchsorted(t_code, code).clip(0, t_code.size - 1)
    hit = t_code[pos] == code
    sim = np.where(hit, t_sim[pos], 0.0)
    # one word of the text stands for one word of a name ("gardens" is not also "garden")
    rows = np.flatnonzero(hit)
    rows = rows[np.lexsort((-weight_s[at[rows]] * sim[rows], t_q[pos[rows]], pair[rows]))]
    again = np.zeros(rows.size, dtype=bool)
    again[1:] = (pair[rows[1:]] == pair[rows[:-1]]) & (t_q[pos[rows[1:]]] == t_q[pos[rows[:-1]]])
    sim[rows[again]] = 0.0
    hit[rows[again]] = False
    used_cand, used_q = pair[hit], t_q[pos[hit]]
    score = np.bincount(pair, weights=weight_s[at] * sim, minlength=c_key.size) * 100.0
    inexact = np.bincount(pair, weights=(sim < 1.0).astype(float), minlength=c_key.size)
    exact = inexact == 0
    score[exact] = 100.0
    # only keys that could be placed or could rival one matter
    keep = score >= threshold - margin
    c_text, c_key, score, exact = c_text[keep], c_key[keep], score[keep], exact[keep]
    if c_text.size == 0:
        return none
    renumber = np.cumsum(keep) - 1
    still = keep[used_cand]
    used_cand, used_q = renumber[used_cand[still]], used_q[still]
    n_words = np.bincount(kw, minlength=len(keys))
    given_way = _held_by_longer(c_text, score >= threshold, used_cand, used_q)
    c_text, c_key, score, exact = (
        c_text[~given_way],
        c_key[~given_way],
        score[~given_way],
        exact[~given_way],
    )

    # best per text (the longest name among equals), and the best key lying away from it
    order = np.lexsort((c_key, -n_words[c_key], -score, c_text))
    c_text, c_key, score, exact = c_text[order], c_key[order], score[order], exact[order]
    head = np.ones(c_text.size, dtype=bool)
    head[1:] = c_text[1:] != c_text[:-1]
    group = np.cumsum(head) - 1
    best_key = c_key[head][group]
    far = np.hypot(x[c_key] - x[best_key], y[c_key] - y[best_key]) > same_place_m
    rivals = far & (exact | ~exact[head][group])
    rival = pd.Series(np.where(rivals, score, 0.0)).groupby(group).max().to_numpy()
    out_best = none.best.copy()
    out_score = none.score.copy()
    out_rival = none.runner_up.copy()
    texts_with = c_text[head]
    out_best[texts_with] = c_key[head]
    out_score[texts_with] = score[head]
    out_rival[texts_with] = rival
    return NameMatches(out_best, out_score, out_rival)


def _held_by_longer(
    text: IntArray, strong: BoolArray, used_cand: IntArray, used_q: IntArray
) -> BoolArray:
    """Which candidates use only words of the text that a ``strong`` candidate using more
    of the text's words also uses ("yardor crescent" inside "yardor borleacar cres",
    which names "Yardor Borleycar Crescent").

    ``used_cand``, ``used_q`` list each candidate's matched text words (their ids).
    """
    out = np.zeros(text.size, dtype=bool)
    n_used = np.bincount(used_cand, minlength=text.size)
    cand = pd.DataFrame({"text": text, "a": np.arange(text.size)})
    longer = pd.DataFrame({"text": text[strong], "b": np.flatnonzero(strong)})
    both = cand.merge(longer, on="text")
    a = both["a"].to_numpy(dtype=np.int64)
    b = both["b"].to_numpy(dtype=np.int64)
    wider = n_used[b] > n_used[a]
    a, b = a[wider], b[wider]
    if a.size == 0:
        return out
    # every text word candidate a uses, looked up among those candidate b uses
    order = np.argsort(used_cand, kind="stable")
    by_cand, q_sorted = used_cand[order], used_q[order]
    lo = np.searchsorted(by_cand, a, side="left")
    n = n_used[a]
    row = np.repeat(np.arange(a.size), n)
    at = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + np.repeat(lo, n)
    width = int(used_q.max()) + 1
    codes = np.sort(used_cand * width + used_q)
    wanted = b[row] * width + q_sorted[at]
    pos = np.searchsorted(codes, wanted).clip(0, codes.size - 1)
    found = codes[pos] == wanted
    held = np.bincount(row, weights=found.astype(float), minlength=a.size) == n
    out[a[held]] = True
    return out
