"""The goods ordinary shipments carry: HS code, English and Russian description, kg per unit, GBP per unit."""

from __future__ import annotations

#: hs6 -> (English description, Russian description, kg per unit, typical GBP per unit)
HS_GOODS: dict[str, tuple[str, str, float, float]] = {
    "845611": ("Laser cutting machine", "Станок лазерной резки", 6000, 180_000),
    "845620": ("Ultrasonic machining machine", "Станок ультразвуковой обработки", 1500, 60_000),
    "845710": ("Vertical machining centre", "Обрабатывающий центр вертикальный", 5000, 120_000),
    "845720": ("Unit construction machine", "Агрегатный станок", 7000, 150_000),
    "845811": ("CNC horizontal lathe", "Станок токарный горизонтальный с ЧПУ", 4000, 90_000),
    "845819": ("Horizontal lathe, manual", "Станок токарно-винторезный", 2500, 25_000),
    "845891": ("CNC lathe, other", "Станок токарный с ЧПУ прочий", 3500, 80_000),
    "845899": ("Lathe, other", "Станок токарный прочий", 2000, 20_000),
    "845921": ("CNC drilling machine", "Станок сверлильный с ЧПУ", 2000, 40_000),
    "845961": ("CNC milling machine", "Станок фрезерный с ЧПУ", 4500, 95_000),
    "845969": ("Milling machine, other", "Станок фрезерный прочий", 2500, 30_000),
    "846011": ("CNC surface grinding machine", "Станок плоскошлифовальный с ЧПУ", 3500, 85_000),
    "846031": ("Sharpening machine", "Станок заточной", 600, 12_000),
    "846150": ("Sawing machine", "Станок отрезной ленточнопильный", 1200, 15_000),
    "846221": ("CNC press brake", "Листогибочный пресс с ЧПУ", 8000, 110_000),
    "846229": ("Bending machine", "Станок гибочный", 3000, 35_000),
    "846291": ("Hydraulic press", "Пресс гидравлический", 9000, 70_000),
    "846510": ("Woodworking machine, multi-operation", "Станок деревообрабатывающий многооперационный", 2500, 45_000),
    "846591": ("Sawing machine for wood", "Станок пильный по дереву", 900, 14_000),
    "846693": ("Parts and accessories for machine tools", "Части и принадлежности для станков", 150, 6_000),
    "846694": ("Parts for metal-forming machines", "Части для кузнечно-прессовых машин", 300, 5_000),
    "854231": ("Microcontrollers", "Микроконтроллеры", 2, 4_000),
    "854232": ("Memory chips", "Микросхемы памяти", 2, 3_000),
    "854233": ("Amplifier integrated circuits", "Интегральные схемы усилителей", 1, 2_500),
    "854239": ("Integrated circuits, other", "Интегральные схемы прочие", 2, 3_500),
    "903020": ("Oscilloscope", "Осциллограф", 10, 9_000),
    "903031": ("Multimeter", "Мультиметр", 1, 400),
    "903032": ("Multimeter with recording device", "Мультиметр с записывающим устройством", 2, 900),
    "903039": ("Instrument for measuring voltage", "Прибор для измерения напряжения", 3, 1_500),
    "903082": ("Semiconductor test instrument", "Прибор для контроля полупроводниковых пластин", 200, 60_000),
    "903089": ("Electrical measuring instrument, other", "Прибор электроизмерительный прочий", 5, 2_000),
    # ordinary goods outside both markets (so HS filtering matters)
    "390110": ("Polyethylene granules", "Полиэтилен гранулированный", 25_000, 30_000),
    "392690": ("Plastic articles, other", "Изделия из пластмасс прочие", 800, 4_000),
    "730890": ("Steel structures", "Металлоконструкции стальные", 12_000, 18_000),
    "731815": ("Bolts and screws of steel", "Болты и винты стальные", 2_000, 3_500),
    "732690": ("Articles of steel, other", "Изделия из стали прочие", 1_500, 3_000),
    "850440": ("Static converters", "Преобразователи статические", 40, 2_500),
    "853690": ("Electrical connectors", "Соединители электрические", 100, 2_000),
    "854449": ("Insulated electric cable", "Кабель электрический изолированный", 3_000, 6_000),
    "901890": ("Medical instruments", "Инструменты медицинские", 50, 5_000),
    "902610": ("Flow meters", "Расходомеры", 20, 1_800),
    "940360": ("Wooden furniture", "Мебель деревянная", 2_000, 5_000),
}

#: Ordinary goods any scenario may use outside its market.
OTHER_GOODS = ("390110", "392690", "730890", "731815", "732690", "850440", "853690", "854449", "901890",
               "902610", "940360", "845811", "846693", "854231", "903020")

#: Declared currency shares by exporter country (the rest is USD).
CURRENCY_SHARES: dict[str, dict[str, float]] = {
    "CN": {"CNY": 0.35, "USD": 0.65}, "JP": {"JPY": 0.6, "USD": 0.4}, "GB": {"GBP": 0.8, "USD": 0.2},
    "CH": {"EUR": 0.6, "USD": 0.4}, "TW": {"USD": 1.0}, "KR": {"USD": 1.0}, "US": {"USD": 1.0},
}
EUR_COUNTRIES = ("DE", "IT", "AT", "CZ", "FR", "ES", "PL", "NL", "BE", "FI", "SE")


def currency_shares(country: str) -> dict[str, float]:
    """Which currencies an exporter from ``country`` invoices in, with their shares."""
    if country in EUR_COUNTRIES:
        return {"EUR": 0.85, "USD": 0.15}
    return CURRENCY_SHARES.get(country, {"USD": 0.9, "EUR": 0.1})
