"""String utilities: the part students write."""


def is_palindrome(text):
    """Whether ``text`` reads the same backwards, ignoring case and every character
    that is not a letter or a digit: ``is_palindrome("Never odd or even")`` is True.
    The empty string is a palindrome."""
    # BEGIN SOLUTION
    kept = [c.lower() for c in text if c.isalnum()]
    return kept == kept[::-1]
    # END SOLUTION


def word_counts(text):
    """``{word: count}`` of the words of ``text``, lower-cased; a word is a run of
    letters (``"Don't stop"`` has the words don, t, stop)."""
    # BEGIN SOLUTION
    counts = {}
    word = []
    for c in text + " ":
        if c.isalpha():
            word.append(c.lower())
        elif word:
            w = "".join(word)
            counts[w] = counts.get(w, 0) + 1
            word = []
    return counts
    # END SOLUTION


def caesar(text, shift):
    """``text`` with every ASCII letter moved ``shift`` places along the alphabet
    (wrapping around, case kept; ``shift`` may be negative or larger than 26); every
    other character unchanged: ``caesar("Hal", 1) == "Ibm"``."""
    # BEGIN SOLUTION
    out = []
    for c in text:
        if "a" <= c <= "z" or "A" <= c <= "Z":
            base = ord("a") if c.islower() else ord("A")
            out.append(chr(base + (ord(c) - base + shift) % 26))
        else:
            out.append(c)
    return "".join(out)
    # END SOLUTION


def run_length(text):
    """Run-length encoding as a list of ``[character, count]`` pairs:
    ``run_length("aaab") == [["a", 3], ["b", 1]]``; ``[]`` for the empty string."""
    # BEGIN SOLUTION
    runs = []
    for c in text:
        if runs and runs[-1][0] == c:
            runs[-1][1] += 1
        else:
            runs.append([c, 1])
    return runs
    # END SOLUTION


def unique_words(text):
    """The set of the words of ``text`` (as :func:`word_counts` finds them)."""
    # BEGIN SOLUTION
    return set(word_counts(text))
    # END SOLUTION
