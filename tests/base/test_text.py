"""Tests for scoring.base.text: normalisation, folding, collation, legacy encodings, decoding.

The tables below are the specification: each row is one behaviour we promise to callers.
Garbled strings are written out literally (not produced by the module under test) so that the
legacy tables are checked against known TCVN3/VNI text rather than against themselves.
"""

from __future__ import annotations

import codecs
import itertools
import pickle
import random
import unicodedata

import pytest

import scoring.base.text as text_module
from scoring.base.text import (
    LegacyEncoding,
    UndecidableEncoding,
    collation_key,
    convert_legacy,
    decode_text,
    detect_legacy_vietnamese,
    match_key,
    name_sort_key,
    nfc,
)

# --------------------------------------------------------------------------------------------
# nfc
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        (unicodedata.normalize("NFD", "Nguyễn Văn An"), "Nguyễn Văn An"),
        ("  Nguyễn   Văn\tAn  ", "Nguyễn Văn An"),
        ("Nguyễn\u00a0Văn\u00a0\u00a0An", "Nguyễn Văn An"),
        ("\tLê\n\r\nThị  Hoa\u2009", "Lê Thị Hoa"),
        ("", ""),
        ("   \u00a0\t ", ""),
        ("Hoa\u0300", "Hoà"),  # combining grave composes onto the a
    ],
)
def test_nfc(raw: str, expected: str) -> None:
    assert nfc(raw) == expected
    assert unicodedata.is_normalized("NFC", nfc(raw))


# --------------------------------------------------------------------------------------------
# match_key
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn  Văn An", "nguyen van an"),
        ("nguyen van an", "nguyen van an"),
        ("NGUYỄN VĂN AN", "nguyen van an"),
        (unicodedata.normalize("NFD", "Nguyễn Văn An"), "nguyen van an"),
        ("Số tháng công tác", "so thang cong tac"),
        ("so_thang-cong  tac", "so thang cong tac"),
        ("Đỗ Đức Đạt", "do duc dat"),
        ("đường", "duong"),
        ("Ưng Ơn Ăn Ân Ê Ô", "ung on an an e o"),
        ("  Điểm\u00a0thưởng\t", "diem thuong"),
        ("Chiến sĩ thi đua cơ sở", "chien si thi dua co so"),
        ("Hoà", "hoa"),
        ("Hòa", "hoa"),
        ("_-_", ""),
        ("", ""),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert match_key(raw) == expected


def test_fold_makes_spec_examples_equal() -> None:
    assert match_key("Nguyễn  Văn An") == match_key("nguyen van an") == "nguyen van an"
    assert match_key("Số tháng công tác") == "so thang cong tac"


# --------------------------------------------------------------------------------------------
# collation_key
# --------------------------------------------------------------------------------------------


def _sorted(words: list[str]) -> list[str]:
    return sorted(words, key=collation_key)


@pytest.mark.parametrize(
    "ordered",
    [
        # The alphabet itself, f j w z in their Latin places.
        list("aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"),
        # Tones on the same base: none, huyền, hỏi, ngã, sắc, nặng.
        ["a", "à", "ả", "ã", "á", "ạ"],
        ["ma", "mà", "mả", "mã", "má", "mạ"],
        ["ê", "ề", "ể", "ễ", "ế", "ệ"],
        # Base letters decide before tones do.
        ["an", "ăn", "ân", "ba"],
        ["anh", "ánh", "ăn", "ân"],
        ["án", "anh"],
        ["o", "ô", "ơ", "p"],
        ["u", "ư", "v"],
        ["d", "dz", "đ", "e"],
        ["Dương", "Đặng", "Đỗ", "Hà"],
        ["Trần", "Trương", "Từ"],
        ["Ngô", "Nguyễn", "Nhung"],
        # Case is tertiary: lower before upper, but only once letters and tones tie.
        ["an", "An", "AN", "án", "Án"],
        ["an", "An", "ăn"],
        # Separators before punctuation before digits before letters.
        ["a b", "a-b", "a1", "ab"],
        [" ", "-", "0", "9", "a"],
        ["An", "An Bình", "Anh"],
        ["1", "10a", "2", "a"],  # digit by digit, not numeric ("natural") order
    ],
)
def test_collation_order(ordered: list[str]) -> None:
    for permutation in (ordered, list(reversed(ordered)), ordered[1::2] + ordered[::2]):
        assert _sorted(permutation) == ordered


def test_collation_ignores_normal_form_and_spacing_except_for_tiebreak() -> None:
    composed, decomposed = "Nguyễn", unicodedata.normalize("NFD", "Nguyễn")
    assert collation_key(composed)[:4] == collation_key(decomposed)[:4]
    assert collation_key("Lê  An")[:3] == collation_key("Lê An")[:3]


def test_collation_is_total_and_deterministic() -> None:
    words = [
        "an", "An", "AN", "án", "Án", "ăn", "ân", "An ", " an", "a n", "a-n",
        unicodedata.normalize("NFD", "án"), "đ", "Đ", "d", "ð", "x", "1", "١", "½", "é", "e\u0301",
    ]
    keys = [collation_key(w) for w in words]
    assert len(set(keys)) == len(set(words))  # distinct strings never tie
    expected = _sorted(words)
    rng = random.Random(1258)
    for _ in range(20):
        shuffled = words[:]
        rng.shuffle(shuffled)
        assert _sorted(shuffled) == expected


# --------------------------------------------------------------------------------------------
# name_sort_key
# --------------------------------------------------------------------------------------------


def test_name_sort_key_spec_example() -> None:
    names = ["Trần Văn Bình", "Nguyễn Thị An", "Lê Ánh", "Nguyễn Văn An", "Đỗ Đức"]
    assert sorted(names, key=name_sort_key) == [
        "Nguyễn Thị An",
        "Nguyễn Văn An",
        "Lê Ánh",
        "Trần Văn Bình",
        "Đỗ Đức",
    ]


@pytest.mark.parametrize(
    "ordered",
    [
        ["Trần An", "Lê Bình", "Nguyễn Cường"],  # given name first
        ["Lê Văn An", "Nguyễn Văn An", "Trần An"],  # then family + middle
        ["Lê An", "Lê Thị An", "Lê Văn An"],
        ["Bùi Thị Yên", "An Yến"],  # tone of the given name beats the family name
        ["An", "Ánh", "Anh Tuấn"],  # one-word names are their own given name
        ["nguyễn văn an", "Nguyễn Văn An"],  # case only breaks ties
        ["", "An"],
    ],
)
def test_name_sort_key_order(ordered: list[str]) -> None:
    for permutation in itertools.permutations(ordered):
        assert sorted(permutation, key=name_sort_key) == ordered


# --------------------------------------------------------------------------------------------
# Legacy encodings
# --------------------------------------------------------------------------------------------

# Correctly encoded Unicode Vietnamese: never flagged.
GOOD_VIETNAMESE = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Ánh",
    "Đỗ Đức",
    "Phạm Minh Tuấn",
    "Hoàng Thị Thu Hương",
    "Huỳnh Ngọc Ánh",
    "Phan Thanh Giản",
    "Vũ Thị Phương Thảo",
    "Võ Nguyên Giáp",
    "Đặng Thùy Trâm",
    "Bùi Xuân Trường",
    "Hồ Thị Kỷ",
    "Ngô Bảo Châu",
    "Dương Văn Minh",
    "Lý Thường Kiệt",
    "Trịnh Công Sơn",
    "Đinh Bộ Lĩnh",
    "Lương Thế Vinh",
    "Tô Hoài",
    "Quách Thị Quỳnh Uyên",
    "Khổng Minh Khuê",
    "Ông Ích Khiêm",
    "Ưng Hoàng Phúc",
    "Âu Cơ",
    "Yên Thị Yến",
    "Nghiêm Xuân Nghĩa",
    "Giang Thị Giường",
    "Hà Nội",
    "Thành phố Hồ Chí Minh",
    "Đắk Lắk",
    "Thừa Thiên Huế",
    "Bà Rịa – Vũng Tàu",
    "Hoàn thành",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành xuất sắc nhiệm vụ",
    "Số tháng công tác",
    "Chiến sĩ thi đua cơ sở",
    "Lao động tiên tiến",
    "Bằng khen của Thủ tướng Chính phủ",
    "Giấy khen của Giám đốc Sở",
    "Điểm thưởng: 2,5; điểm trừ: 0",
    "Trường Tiểu học Nghĩa Đô",
    "NGUYỄN VĂN AN",
    "nguyễn thị khuyên",
    "Thuở ấy, người ta khuya khoắt",
    "Quốc hội nước Cộng hòa xã hội chủ nghĩa Việt Nam",
    "Hòa, Hoà, Thủy, Thuỷ, Khỏe, Khoẻ",
    "Y Moan Ênuôl, Ksor H'Bơ Khăp, Rơ Châm",
    "Ký hiệu ©, ®, «trích dẫn», ½, 25 °C, § 3",
    "Nguyễn Thị Loan; José Müller; François",
    unicodedata.normalize("NFD", "Nguyễn Văn Ánh"),
    "",
    "Plain ASCII only, 123",
]


@pytest.mark.parametrize("text", GOOD_VIETNAMESE)
def test_correct_unicode_is_not_flagged(text: str) -> None:
    assert detect_legacy_vietnamese(text) is None


# (garbled as read through cp1252, correct Unicode)
TCVN3_CASES = [
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("Hoµn thµnh", "Hoàn thành"),
    ("TrÇn ThÞ B×nh", "Trần Thị Bình"),
    ("Lª ThÞ Hång Nhung", "Lê Thị Hồng Nhung"),
    ("Ph¹m Minh TuÊn", "Phạm Minh Tuấn"),
    ("§ç §øc Th¾ng", "Đỗ Đức Thắng"),
    ("§¹i häc Quèc gia Hµ Néi", "Đại học Quốc gia Hà Nội"),
    ("Tr\u00adêng TiÓu häc NghÜa §«", "Trường Tiểu học Nghĩa Đô"),
    ("Sè th¸ng c«ng t¸c", "Số tháng công tác"),
    ("ChiÕn sÜ thi ®ua c¬ së", "Chiến sĩ thi đua cơ sở"),
    ("B»ng khen cña Thñ t\u00adíng ChÝnh phñ", "Bằng khen của Thủ tướng Chính phủ"),
    ("Vò ThÞ Ph\u00ad¬ng Th¶o", "Vũ Thị Phương Thảo"),
    ("Hoµng Quèc ViÖt", "Hoàng Quốc Việt"),
    ("Bïi Xu©n Tr\u00adêng", "Bùi Xuân Trường"),
    ("¤ng Ých Khiªm", "Ông ích Khiêm"),  # VN3 has no capital Í: .VnTime shows it lower-case
    ("¦ng Hoµng Phóc", "Ưng Hoàng Phúc"),
    ("Vâ ThÞ S¸u", "Võ Thị Sáu"),
    ("Hå ThÞ Kû", "Hồ Thị Kỷ"),
    ("Lý Th\u00adêng KiÖt", "Lý Thường Kiệt"),
    ("Lª ¸nh", "Lê ánh"),
    ("NGUYÔN V¡N AN", "NGUYỄN VĂN AN"),  # typed in the capitals-only .VnTimeH font
    ("Hoµn thµnh xuÊt s¾c nhiÖm vô", "Hoàn thành xuất sắc nhiệm vụ"),
]

VNI_CASES = [
    ("Nguyeãn Vaên An", "Nguyễn Văn An"),
    ("Hoaøn thaønh", "Hoàn thành"),
    ("Ñoã", "Đỗ"),
    ("Traàn Thò Bình", "Trần Thị Bình"),
    ("Leâ Thò Hoàng Nhung", "Lê Thị Hồng Nhung"),
    ("Phaïm Minh Tuaán", "Phạm Minh Tuấn"),
    ("Ñoã Ñöùc Thaéng", "Đỗ Đức Thắng"),
    ("Ñaïi hoïc Quoác gia Haø Noäi", "Đại học Quốc gia Hà Nội"),
    ("Tröôøng Tieåu hoïc Nghóa Ñoâ", "Trường Tiểu học Nghĩa Đô"),
    ("Soá thaùng coâng taùc", "Số tháng công tác"),
    ("Chieán só thi ñua cô sôû", "Chiến sĩ thi đua cơ sở"),
    ("Baèng khen cuûa Thuû töôùng Chính phuû", "Bằng khen của Thủ tướng Chính phủ"),
    ("Vuõ Thò Phöông Thaûo", "Vũ Thị Phương Thảo"),
    ("Huyønh Thò Ngoïc AÙnh", "Huỳnh Thị Ngọc Ánh"),
    ("OÂng Ích Khieâm", "Ông Ích Khiêm"),
    ("Öng Hoaøng Phuùc", "Ưng Hoàng Phúc"),
    ("Voõ Thò Saùu", "Võ Thị Sáu"),
    ("Lyù Thöôøng Kieät", "Lý Thường Kiệt"),
    ("NGUYEÃN VAÊN AN", "NGUYỄN VĂN AN"),
    ("Hoaøn thaønh xuaát saéc nhieäm vuï", "Hoàn thành xuất sắc nhiệm vụ"),
    ("Kyû luaät, Ñieåm thöôûng", "Kỷ luật, Điểm thưởng"),
]


@pytest.mark.parametrize(("garbled", "unicode"), TCVN3_CASES)
def test_tcvn3_detected_and_converted(garbled: str, unicode: str) -> None:
    assert detect_legacy_vietnamese(garbled) == "TCVN3"
    assert convert_legacy(garbled, "TCVN3") == unicode
    assert convert_legacy(garbled, "tcvn3") == unicode


@pytest.mark.parametrize(("garbled", "unicode"), VNI_CASES)
def test_vni_detected_and_converted(garbled: str, unicode: str) -> None:
    assert detect_legacy_vietnamese(garbled) == "VNI"
    assert convert_legacy(garbled, "VNI") == unicode


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A garbled row pasted among correct ones is still caught.
        ("Nguyễn Văn An\nTrần Thị Bình\nLª ThÞ Hoa\nĐỗ Đức", "TCVN3"),
        ("Nguyễn Văn An\nTrần Thị Bình\nLeâ Thò Hoa\nĐỗ Đức", "VNI"),
        # CSV shapes: words next to commas, quotes, digits.
        ('"NguyÔn V¨n An",12,"Hoµn thµnh"', "TCVN3"),
        ('"Nguyeãn Vaên An";12;"Hoaøn thaønh"', "VNI"),
        # A lone foreign word among many correct accented words stays below the bar.
        ("Loïc; " + "; ".join(GOOD_VIETNAMESE[:20]), None),
    ],
)
def test_detection_on_mixed_text(text: str, expected: str | None) -> None:
    assert detect_legacy_vietnamese(text) == expected


def _every_accented_word(text: str) -> list[tuple[int, int, str]]:
    """What `_accented_words` promises, said the plain way: every word-like run with a
    non-ASCII character and a letter."""
    return [(m.start(), m.end(), m.group()) for m in text_module._TOKEN_RE.finditer(text)
            if not m.group().isascii() and text_module._WORD_LETTER_RE.search(m.group())]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII only, 123",
        "Nguyễn Văn An,12,Hoàn thành",
        "NguyÔn V¨n An;Leâ Thò Hoa",  # legacy glyphs mid-word, after ASCII letters
        "ễ ở",  # words that are one non-ASCII letter
        "abcđef\nĐđ",  # the non-ASCII letter inside, at a line's start
        "“Người” – … (Đơn vị)",  # non-ASCII punctuation beside and between words
        "µm, ½, ©, §, ×÷",  # symbols that make a token without a letter
        "ba\u0301o e\u0301",  # a combining mark inside a word
        "x" * 50 + "é" + "y" * 50,  # one long word
        "2026đ 10%Ư _ê_ 3½",  # digits and underscores end a word
    ],
)
def test_accented_words_are_every_non_ascii_word(text: str) -> None:
    found = [(m.start(), m.end(), m.group()) for m in text_module._accented_words(text)]
    assert found == _every_accented_word(text)


def test_accented_words_agree_on_random_text() -> None:
    alphabet = "aZđĐễƯ ,;\n1_–“½©\u0301µ×¨Ô"
    rng = random.Random(20)
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        found = [(m.start(), m.end(), m.group()) for m in text_module._accented_words(text)]
        assert found == _every_accented_word(text), text


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
def test_convert_leaves_ascii_alone(encoding: str) -> None:
    assert convert_legacy("Plain ASCII, 123; Mai Anh", encoding) == "Plain ASCII, 123; Mai Anh"


def test_convert_rejects_unknown_encoding() -> None:
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        convert_legacy("x", "VISCII")


# --------------------------------------------------------------------------------------------
# decode_text
# --------------------------------------------------------------------------------------------

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode like Windows does: precomposed where cp1258 has it, else base + tone mark.

    Python's codec only knows precomposed characters, so letters such as ễ are split into the
    precomposed base (ê) and the combining tone mark, both of which cp1258 has.
    """
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in _TONE_MARKS)
            base = unicodedata.normalize(
                "NFC", "".join(c for c in decomposed if c not in _TONE_MARKS)
            )
            out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


CSV = "Họ và tên,Số tháng công tác,Xếp loại\nNguyễn Văn An,12,Hoàn thành\nĐỗ Đức,7,Tốt\n"


@pytest.mark.parametrize(
    ("data", "expected_text", "expected_encoding"),
    [
        (CSV.encode("utf-8"), CSV, "utf-8"),
        (codecs.BOM_UTF8 + CSV.encode("utf-8"), CSV, "utf-8-sig"),
        (CSV.encode("utf-16"), CSV, "utf-16"),
        (codecs.BOM_UTF16_LE + CSV.encode("utf-16-le"), CSV, "utf-16"),
        (codecs.BOM_UTF16_BE + CSV.encode("utf-16-be"), CSV, "utf-16"),
        (unicodedata.normalize("NFD", CSV).encode("utf-8"), CSV, "utf-8"),
        (unicodedata.normalize("NFD", CSV).encode("utf-16"), CSV, "utf-16"),
        (b"", "", "utf-8"),
        (b"a,b\r\n1,2\r\n", "a,b\r\n1,2\r\n", "utf-8"),
        (b"Nguy\xea\xden V\xe3n An", "Nguyễn Văn An", "cp1258"),  # written by hand
        (to_cp1258("Nguyễn Văn An"), "Nguyễn Văn An", "cp1258"),
        (to_cp1258(CSV), CSV, "cp1258"),
        (to_cp1258(CSV.replace("\n", "\r\n")), CSV.replace("\n", "\r\n"), "cp1258"),
        (to_cp1258("Trần Thị Bình – 25 °C, 1.000 ₫"), "Trần Thị Bình – 25 °C, 1.000 ₫", "cp1258"),
    ],
)
def test_decode_text(data: bytes, expected_text: str, expected_encoding: str) -> None:
    text, encoding = decode_text(data, "in.csv")
    assert (text, encoding) == (expected_text, expected_encoding)
    assert unicodedata.is_normalized("NFC", text)


def test_cp1258_bytes_of_python_codec_are_decomposed_tones() -> None:
    assert to_cp1258("Nguyễn Văn An") == b"Nguy\xea\xden V\xe3n An"


# Vietnamese names and phrases (not the mixed foreign-name row) that cp1258 can encode.
CP1258_TEXTS = [t for t in GOOD_VIETNAMESE if not t.isascii() and "José" not in t]


@pytest.mark.parametrize("name", CP1258_TEXTS)
def test_decode_cp1258_round_trips_real_names(name: str) -> None:
    assert decode_text(to_cp1258(name), "x.csv") == (unicodedata.normalize("NFC", name), "cp1258")


@pytest.mark.parametrize("name", GOOD_VIETNAMESE)
def test_decode_utf8_accepts_real_names(name: str) -> None:
    assert decode_text(name.encode("utf-8"), "x.csv") == (
        unicodedata.normalize("NFC", name),
        "utf-8",
    )


def _random_bytes(size: int, alphabet: list[int]) -> bytes:
    rng = random.Random(size)
    return bytes(rng.choice(alphabet) for _ in range(size))


@pytest.mark.parametrize(
    ("data", "detail_part"),
    [
        (bytes([0x41, 0x81, 0x8D, 0x42, 0x8F, 0x90, 0x9D, 0xE9]), "undefined"),
        (_random_bytes(200, [0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xC0, 0xE9, 0xFF, 0x20]), "undefined"),
        (_random_bytes(300, list(range(0xA0, 0x100)) + [0x20] * 20), "Vietnamese"),
        (bytes(range(0xA0, 0x100)) * 3, "Vietnamese"),  # decodes in cp1258, but is not text
        (b"\xc4\xd6\xdc\xe4\xf6\xfc\xdf" * 5, "Vietnamese"),  # German umlauts in Latin-1
        (b"caf\xe9 cr\xe8me br\xfbl\xe9e", "Vietnamese"),  # French, no Vietnamese letters
        (codecs.BOM_UTF8 + b"\xff\xfe\xfa", "byte order mark"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "byte order mark"),  # lone surrogate
        (codecs.BOM_UTF16_LE + b"A", "byte order mark"),  # odd length
        ("An".encode("utf-16-le"), "NUL"),  # UTF-16 without BOM is valid UTF-8 with NULs
        (b"Nguy\xea\xden\x01V\xe3n", "Vietnamese"),  # control characters
    ],
)
def test_decode_undecidable(data: bytes, detail_part: str) -> None:
    with pytest.raises(UndecidableEncoding) as info:
        decode_text(data, "bad.csv")
    assert info.value.filename == "bad.csv"
    assert detail_part in info.value.detail
    assert isinstance(info.value, ValueError)
    assert "bad.csv" in str(info.value)


@pytest.mark.parametrize(
    ("data", "encoding", "sample"),
    [
        # Excel re-saved a .VnTime sheet as UTF-8: decodes fine, but is TCVN3 garbage.
        ("Họ tên,Điểm\nNguyÔn V¨n An,9\n".encode(), "TCVN3", "NguyÔn V¨n An,9"),
        ("Hoµn thµnh\n".encode(), "TCVN3", "Hoµn thµnh"),
        (codecs.BOM_UTF8 + "Tên\nNguyeãn Vaên An\n".encode(), "VNI", "Nguyeãn Vaên An"),
        ("Hoaøn thaønh".encode("utf-16"), "VNI", "Hoaøn thaønh"),
        # Raw legacy bytes: not UTF-8; the sample shows the classic cp1252 view.
        ("NguyÔn V¨n An,Tr\u00adêng".encode("cp1252"), "TCVN3", "NguyÔn V¨n An,Tr\u00adêng"),
        ("Sè th¸ng c«ng t¸c\r\n12\r\n".encode("cp1252"), "TCVN3", "Sè th¸ng c«ng t¸c"),
        ("Nguyeãn Vaên An\r\n".encode("cp1252"), "VNI", "Nguyeãn Vaên An"),
        ("Ñoã Ñöùc,Ñaïi hoïc".encode("cp1252"), "VNI", "Ñoã Ñöùc,Ñaïi hoïc"),
        # The sample is one line, at most 60 characters, around the first garbled word.
        (
            ("x" * 100 + ",NguyÔn V¨n An," + "y" * 100).encode(),
            "TCVN3",
            "x" * 19 + ",NguyÔn V¨n An," + "y" * 26,
        ),
    ],
)
def test_decode_refuses_legacy(data: bytes, encoding: str, sample: str) -> None:
    with pytest.raises(LegacyEncoding) as info:
        decode_text(data, "old.csv")
    error = info.value
    assert (error.filename, error.encoding, error.sample) == ("old.csv", encoding, sample)
    assert len(error.sample) <= 60
    assert isinstance(error, ValueError)
    assert encoding in str(error)


@pytest.mark.parametrize(
    ("garbled", "encoding"),
    [(g, "TCVN3") for g, _ in TCVN3_CASES] + [(g, "VNI") for g, _ in VNI_CASES],
)
@pytest.mark.parametrize("codec", ["cp1252", "utf-8", "utf-8-sig"])
def test_decode_refuses_every_legacy_case(garbled: str, encoding: str, codec: str) -> None:
    # cp1252: the raw legacy bytes; utf-8(-sig): the same text after a re-save in Excel.
    with pytest.raises(LegacyEncoding) as info:
        decode_text(garbled.encode(codec), "old.csv")
    assert info.value.encoding == encoding


def test_decode_refuses_one_legacy_row_among_good_ones() -> None:
    rows = [*GOOD_VIETNAMESE[:30], "Lª ThÞ Hoa", *GOOD_VIETNAMESE[30:40]]
    with pytest.raises(LegacyEncoding) as info:
        decode_text("\n".join(rows).encode(), "mixed.csv")
    assert (info.value.encoding, info.value.sample) == ("TCVN3", "Lª ThÞ Hoa")


@pytest.mark.parametrize(
    "error",
    [UndecidableEncoding("a.csv", "why"), LegacyEncoding("b.csv", "VNI", "Vaên")],
)
def test_errors_pickle(error: ValueError) -> None:
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert vars(clone) == vars(error)
    assert str(clone) == str(error)
