import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entitle.core import codes


def compact(code: str) -> str:
    return code.replace("-", "")


def test_codes_have_at_least_80_bits_and_four_groups_of_five():
    code = codes.generate()
    assert codes.ENTROPY_BITS >= 80
    assert [len(g) for g in code.split("-")] == [5, 5, 5, 5]
    assert not set(compact(code)) & set("01IO")
    assert codes.normalize(code) == code


def test_typing_is_forgiving_about_case_spaces_and_dashes():
    code = codes.generate()
    typed = " " + compact(code).lower()[:7] + " " + compact(code).lower()[7:] + "\n"
    assert codes.normalize(typed) == code


bodies = st.text(alphabet=codes.ALPHABET, min_size=19, max_size=19)


@settings(max_examples=60)
@given(bodies)
def test_every_single_character_typo_is_caught(body):
    code = compact(codes.with_check(body))
    assert codes.normalize(code)
    for position in range(len(code)):
        for letter in codes.ALPHABET:
            if letter != code[position]:
                typo = code[:position] + letter + code[position + 1 :]
                with pytest.raises(codes.CodeTypo):
                    codes.normalize(typo)


@settings(max_examples=300)
@given(bodies)
def test_every_adjacent_swap_is_caught(body):
    code = compact(codes.with_check(body))
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            with pytest.raises(codes.CodeTypo):
                codes.normalize(swapped)


@pytest.mark.parametrize("text", ["", "ABC", "O" * 20, "1" * 20, "ABCDE-FGHJK-LMNPQ-RSTUVW"])
def test_impossible_texts_are_typos(text):
    with pytest.raises(codes.CodeTypo):
        codes.normalize(text)


def test_codes_do_not_repeat():
    assert len({codes.generate() for _ in range(10_000)}) == 10_000


def test_every_letter_is_drawn_at_every_position():
    """Each of the 19 random letters is its own draw over the whole alphabet."""
    bodies = [codes.generate().replace("-", "")[:-1] for _ in range(3_000)]
    for position in range(codes.RANDOM_CHARS):
        assert {body[position] for body in bodies} == set(codes.ALPHABET)
