"""A second, differently shaped (entirely invented) case, for tests that must not fit one story.

A German brand of test equipment and chips reaches a sanctioned Russian
importer through a Kazakh re-exporter and an Armenian shell company whose
website clones a Dutch distributor's. Smaller figures, other countries,
other HS codes (CHPL tiers 1 and 4.A).
"""

from __future__ import annotations

from datetime import date

from diversion.demo.scenario import (
    Brand,
    CaseFlow,
    Listing,
    MarketSpec,
    OriginProfile,
    Party,
    Product,
    Scenario,
    WebSite,
)

PRODUCTS = (
    Product("RTM-3004", "903020", "Digital oscilloscope, 4 channels, 1 GHz",
            "Осциллограф цифровой, 4 канала, 1 ГГц", 18_000, 12),
    Product("RTM-5008", "903020", "Digital oscilloscope, 8 channels, 2 GHz",
            "Осциллограф цифровой, 8 каналов, 2 ГГц", 32_000, 15),
    Product("RB-MCU32", "854231", "Microcontrollers, 32-bit (reel of 1000)",
            "Микроконтроллеры 32-разрядные (катушка 1000 шт.)", 6_500, 3),
    Product("RB-FPGA7", "854231", "Programmable logic devices (tray of 100)",
            "Программируемые логические интегральные схемы (лоток 100 шт.)", 12_000, 2),
)

VDM_SENTENCES = (
    "Van der Meer Meettechniek B.V. is the authorised distributor of Rheinberg test equipment in the Benelux.",
    "We deliver oscilloscopes, signal analysers and embedded components from stock in Eindhoven.",
    "Our calibration laboratory is accredited and serves industry and universities.",
    "Demo units are available for evaluation at your site.",
    "Orders placed before three o'clock ship the same day.",
    "Our application engineers help you choose the right probe and bandwidth.",
    "Extended warranty and calibration contracts are available for every instrument.",
    "We also supply microcontrollers and programmable logic from authorised channels only.",
    "Visit our showroom near Eindhoven Airport by appointment.",
    "Export orders are screened against sanctions and end-use controls.",
)

ARARAT_SENTENCES = tuple(s.replace("Van der Meer Meettechniek B.V.", "Ararat Tech Solutions")
                         for s in VDM_SENTENCES) + (
    "Ararat Tech Solutions is the Eurasian office of Van der Meer Meettechniek.",
)

_OFAC = Listing("Office of Foreign Assets Control", "RUSSIA-EO14024", date(2023, 2, 24), "US", ("us_ofac_sdn",))

PARTIES = (
    Party(
        key="case-vektor", role="importer", schema="Company", canonical='ООО "Вектор-Измерения"', country="RU",
        address="г. Санкт-Петербург, Кондратьевский пр-т, д. 15, 195197", city="Saint Petersburg",
        variants=('ООО "Вектор-Измерения"', "OOO Vektor-Izmereniya", "Vektor-Izmereniya LLC",
                  "ООО «Вектор Измерения»", "Vector Izmereniya LLC"),
        variant_weights=(0.35, 0.25, 0.2, 0.12, 0.08),
        aliases=("Vektor-Izmereniya LLC", "OOO Vektor-Izmereniya"),
        inn="7804561231", ogrn="1157847123455", incorporation_date=date(2015, 4, 20),
        topics=("sanction",), listings=(_OFAC,),
        expected_flags=("sanctioned", "military_end_user"),
        note="Russian electronics importer, sanctioned 2023; supplies a radio-electronics plant.",
    ),
    Party(
        key="case-zvezda", role="end_user", schema="Company", canonical='АО "НПП "Звезда-Радио"', country="RU",
        address="г. Тверь, ул. Индустриальная, д. 4, 170039", city="Tver",
        aliases=("JSC NPP Zvezda-Radio", "Zvezda-Radio Research and Production Enterprise"),
        inn="6950012340", topics=("sanction", "mil"),
        listings=(Listing("Council of the European Union", "RUS", date(2022, 4, 8), "EU", ("eu_fsf",),
                          ("sanction", "mil"), ofac=False),),
        expected_flags=("military_end_user", "sanctioned"),
        note="Military radio-electronics plant (invented).",
    ),
    Party(
        key="case-elbtal", role="official_supplier", schema="Company", canonical="Elbtal Elektronik Vertrieb GmbH",
        country="DE", address="Königsbrücker Str. 61, 01099 Dresden, Germany", city="Dresden",
        variants=("Elbtal Elektronik Vertrieb GmbH", "ELBTAL ELEKTRONIK VERTRIEB GMBH"),
        variant_weights=(0.7, 0.3), registration_number="HRB 31245", website="elbtal-elektronik.de",
        note="Brand's official distributor for CIS customers until February 2022.",
    ),
    Party(
        key="case-kaspiy", role="broker", schema="Company", canonical="Kaspiy Trade Group LLP", country="KZ",
        address="пр. Абая, 150, Алматы 050046, Казахстан", city="Almaty",
        variants=("Kaspiy Trade Group LLP", "ТОО «Каспий Трейд Групп»", "TOO Kaspiy Trade Group",
                  "KASPIY TRADE GROUP LLP"),
        variant_weights=(0.4, 0.3, 0.2, 0.1),
        registration_number="BIN 210540012345", incorporation_date=date(2022, 4, 5),
        expected_flags=("intermediary_surge", "transshipment", "brand_diversion", "priority_goods"),
        note="Kazakh re-exporter founded after the invasion.",
    ),
    Party(
        key="case-ararat", role="front", schema="Company", canonical="Ararat Tech Solutions LLC", country="AM",
        address="Tigran Mets Ave 48, Yerevan 0005, Armenia", city="Yerevan",
        variants=("Ararat Tech Solutions LLC", "ARARAT TECH SOLUTIONS", "Арарат Тех Солюшнс"),
        variant_weights=(0.5, 0.3, 0.2),
        registration_number="286.110.1234567", incorporation_date=date(2022, 6, 30),
        website="ararat-techsolutions.am",
        expected_flags=("impersonation", "hosting_mismatch", "intermediary_surge", "transshipment",
                        "brand_diversion", "priority_goods"),
        note="Armenian shell; website cloned from a Dutch distributor's, hosted in Russia.",
    ),
    Party(
        key="case-vandermeer", role="cloned_distributor", schema="Company",
        canonical="Van der Meer Meettechniek B.V.", country="NL", address="Eindhoven, Netherlands",
        city="Eindhoven", website="vandermeer-meettechniek.nl",
        note="Authorised Dutch distributor (invented) whose website the shell cloned.",
    ),
    Party(
        key="case-melikyan", role="owner", schema="Person", canonical="Tigran Melikyan", country="RU",
        address="Moscow, Russia", city="Moscow", aliases=("Тигран Меликян", "Melikyan Tigran"),
        note="Owns the Armenian shell company (invented).",
    ),
    Party(
        key="bg-zvezda-tver", role="near_miss", schema="Company", canonical='ООО "Звезда-Радио Сервис"',
        country="RU", address="г. Тверь, ул. Советская, д. 12, 170100", city="Tver",
        variants=('ООО "Звезда-Радио Сервис"', "OOO Zvezda-Radio Servis"), variant_weights=(0.6, 0.4),
        inn="6901234566", note="Television repair shop: a near-miss name for the end user.",
    ),
)

FLOWS = (
    CaseFlow("case-elbtal", 2021, (2, 5, 9, 11), 300_000, {"DE": 1.0}, {"DE": 1.0}, {"EUR": 1.0},
             label="official_2021"),
    CaseFlow("case-elbtal", 2022, (1,), 40_000, {"DE": 1.0}, {"DE": 1.0}, {"EUR": 1.0}, label="official_2022"),
    CaseFlow("case-kaspiy", 2022, tuple(range(5, 13)), 1_200_000, {"DE": 1.0}, {"KZ": 1.0},
             {"USD": 0.7, "EUR": 0.3}, label="kaspiy_2022"),
    CaseFlow("case-ararat", 2022, (9, 10, 11, 12), 400_000, {"DE": 1.0}, {"AM": 1.0}, {"USD": 1.0},
             label="ararat_2022"),
    CaseFlow("case-kaspiy", 2023, tuple(range(1, 13)), 3_000_000, {"DE": 1.0}, {"KZ": 1.0},
             {"USD": 0.7, "EUR": 0.3}, label="kaspiy_2023"),
    CaseFlow("case-ararat", 2023, tuple(range(1, 13)), 1_800_000, {"DE": 1.0}, {"AM": 1.0}, {"USD": 1.0},
             label="ararat_2023"),
)

MARKET = MarketSpec(
    headings=("8542", "9030"),
    hs_codes=("854231", "854232", "854233", "854239", "903020", "903031", "903032", "903039", "903082",
              "903089"),
    importer_country="RU", rising_origin="CN", prewar_share=0.2, cutoff_value_gbp=2_000_000,
    peak_month="2023-05", peak_value_gbp=9_000_000, peak_share=0.45,
    origins=(
        OriginProfile("DE", 1_600_000, (0.5, 0.35, 0.3, 0.3)), OriginProfile("NL", 600_000, (0.4, 0.2, 0.15, 0.15)),
        OriginProfile("US", 1_200_000, (0.3, 0.1, 0.08, 0.08)), OriginProfile("JP", 900_000, (0.6, 0.4, 0.35, 0.35)),
        OriginProfile("TW", 1_500_000, (0.95, 1.05, 1.2, 1.2)), OriginProfile("KR", 800_000, (0.9, 1.0, 1.1, 1.1)),
        OriginProfile("MY", 900_000, (1.2, 1.8, 2.5, 2.5), flex=True),
        OriginProfile("TH", 300_000, (1.2, 1.8, 2.5, 2.5), flex=True),
        OriginProfile("FR", 200_000, (0.4, 0.2, 0.15, 0.15)),
    ),
)


def second_scenario() -> Scenario:
    """An invented second case: German test equipment → Russia via Kazakhstan and an Armenian shell."""
    return Scenario(
        name="rheinberg",
        title="German test equipment reaches a sanctioned Russian importer via Kazakhstan and Armenia",
        source_note="Entirely invented, for testing that the pipeline does not overfit the seeds' case.",
        brand=Brand(
            name="Rheinberg", country="DE", variants=("RHEINBERG", "Rheinberg", "Rheinberg Messtechnik"),
            products=PRODUCTS, domain="rheinberg-messtechnik.de",
            other_distributors=(("Rheinberg UK Ltd", "GB", "rheinberg.co.uk"),),
        ),
        parties=PARTIES,
        flows=FLOWS,
        websites=(
            WebSite("vandermeer-meettechniek.nl", "Van der Meer Meettechniek B.V.", "Eindhoven, Netherlands",
                    "NL", "NL", VDM_SENTENCES, "case-vandermeer"),
            WebSite("ararat-techsolutions.am", "Ararat Tech Solutions", "Eindhoven, Netherlands",
                    "RU", "RU", ARARAT_SENTENCES, "case-ararat"),
            WebSite("elbtal-elektronik.de", "Elbtal Elektronik Vertrieb GmbH", "Dresden, Germany", "DE", "DE",
                    ("Elbtal Elektronik is an authorised Rheinberg distributor.",
                     "We serve industrial customers across Europe."), "case-elbtal"),
        ),
        market=MARKET,
        cutoff=date(2022, 2, 24),
        end_user_link_role="supply contract for measuring equipment",
        ownership=(("case-melikyan", "case-ararat", 1.0, date(2022, 6, 30)),),
        end_user_link=("case-vektor", "case-zvezda"),
        figures={
            "importer_2021_gbp": (("*",), (2021,), 300_000),
            "importer_2022_gbp": (("*",), (2022,), 1_640_000),
            "importer_2023_gbp": (("*",), (2023,), 4_800_000),
        },
    )
