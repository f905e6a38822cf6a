"""Writes ``vendor_extract.xlsx``: the shape of a vendor's extract of Russian import declarations.

Made for the tests (no real declarations): a banner of five rows above the
header (header on row 6), the month as ``Apr 2023``, literal ``NULL`` in empty
cells, Cyrillic party names with the importer's INN and the declaration
number in their own columns, an export row the mapping leaves out, and HS codes
as number cells (a chapter-84 code, and a chapter-01 code that lost its zero).
Run: ``python tests/data/shipments/make_vendor_extract.py``.
"""

from pathlib import Path

from openpyxl import Workbook

HEADER = ["Номер ДТ", "Период", "Направление", "Код ТН ВЭД", "Описание товара", "Товарный знак",
          "Отправитель", "Страна отправления", "Получатель", "ИНН получателя", "Страна происхождения",
          "Фактурная стоимость, USD", "Вес нетто, кг"]
ROWS = [
    ["10702070/120423/3012345", "Apr 2023", "ИМ", 8458110000, "СТАНОК ТОКАРНЫЙ С ЧПУ", "TSUGAMI",
     "TSUGAMI (SHANGHAI) CO., LTD", "КИТАЙ", 'ООО "АМГ"', "7701234567", "ЯПОНИЯ", 245000, 3200],
    ["10702070/180423/3012399", "Apr 2023", "ИМ", 8466930000, "ЧАСТИ СТАНКОВ", "NULL",
     "ТОО «СТАНКОИМПОРТ»", "КАЗАХСТАН", "ООО «ТЕХНОСФЕРА»", "5009123456", "NULL", 18250.5, 410],
    ["10702070/030523/3013001", "May 2023", "ИМ", 8457100000, "ОБРАБАТЫВАЮЩИЙ ЦЕНТР", "DMG MORI",
     "GULF MACHINERY TRADING FZE", "ОАЭ", 'ООО "АМГ"', "7701234567", "ГЕРМАНИЯ", 610000, 7800],
    ["10702070/030523/3013002", "May 2023", "ЭК", 8458110000, "СТАНОК (ВОЗВРАТ)", "TSUGAMI",
     'ООО "АМГ"', "РОССИЯ", "TSUGAMI (SHANGHAI) CO., LTD", "NULL", "ЯПОНИЯ", 245000, 3200],
    ["10702070/220523/3013100", "May 2023", "ИМ", 102290000, "КРУПНЫЙ РОГАТЫЙ СКОТ", "NULL",
     "ТОО «АГРОЭКСПОРТ»", "КАЗАХСТАН", "АО «ПЛЕМЗАВОД»", "3301234567", "КАЗАХСТАН", 52000, 18000],
    ["10702070/010623/3014000", "Jun 2023", "ИМ", 8458110000, "СТАНОК ТОКАРНЫЙ", "TSUGAMI",
     "TSUGAMI (SHANGHAI) CO., LTD", "КИТАЙ", 'ООО "АМГ"', "7701234567", "ЯПОНИЯ", "NULL", 3100],
]


def write(path: Path) -> None:
    """Write the workbook to ``path``."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Импорт"
    sheet.append(["Выгрузка таможенных деклараций (образец)"])
    sheet.append(["Сформировано: 2023-07-01"])
    sheet.append([])
    sheet.append(["Фильтр: ТН ВЭД 84, 01; направление: все"])
    sheet.append(["Стоимость в долларах США"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.create_sheet("Справка").append(["Источник: образец для тестов"])
    book.save(path)


if __name__ == "__main__":
    write(Path(__file__).with_name("vendor_extract.xlsx"))
