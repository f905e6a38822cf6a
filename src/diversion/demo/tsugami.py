"""The seeds' case as a ``Scenario``: Tsugami machine tools reaching AMG (Russia) for Kometa.

Replays FT / C4ADS reporting (2024): AMG, a US-sanctioned Russian military
supplier, bought Tsugami CNC machines for about £0.49m in 2021 from an
official Japanese supplier and for £40m in 2023, all of the growth through a
UAE broker (Amegino, US-sanctioned, website hosted in Russia, owned by Andrey
Mironov) and a Shenzhen front (ELE Technology) whose website copies the US
distributor Gray Machinery's. Every record the demo writes is invented; the
official supplier's name is invented too.
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

_OFAC_RU = "RUSSIA-EO14024"


def _ofac(listed: date, topics: tuple[str, ...] = ("sanction",)) -> Listing:
    return Listing("Office of Foreign Assets Control", _OFAC_RU, listed, "US", ("us_ofac_sdn",), topics)


PRODUCTS = (
    Product("B0205-III", "845811", "CNC Swiss-type automatic lathe",
            "Станок токарный автомат продольного точения с ЧПУ", 125_000, 2_400),
    Product("B0326-III", "845811", "CNC Swiss-type automatic lathe",
            "Станок токарный автомат продольного точения с ЧПУ", 150_000, 2_900),
    Product("BO385-III", "845811", "CNC Swiss-type automatic lathe",
            "Станок токарный автомат продольного точения с ЧПУ", 185_000, 3_400),
    Product("SS207", "845811", "CNC Swiss-type turning centre",
            "Токарный обрабатывающий центр продольного точения с ЧПУ", 170_000, 3_100),
    Product("SS20MH-III-5AX", "845811", "CNC 5-axis Swiss-type turning centre",
            "Токарно-фрезерный обрабатывающий центр с ЧПУ, 5 осей", 240_000, 3_600),
    Product("M06J", "845891", "CNC precision chucking lathe",
            "Станок токарный патронный прецизионный с ЧПУ", 90_000, 1_900),
    Product("VA3", "845710", "CNC vertical machining centre",
            "Вертикальный обрабатывающий центр с ЧПУ", 110_000, 3_800),
    Product("VM3", "845961", "CNC milling machine",
            "Станок фрезерный с ЧПУ", 95_000, 3_200),
    Product("PARTS", "846693", "Spare parts and accessories for CNC lathes",
            "Части и принадлежности для токарных станков с ЧПУ", 9_000, 180),
)

GRAY_SENTENCES = (
    "Gray Machinery Company is an authorised distributor of Tsugami precision CNC machine tools.",
    "We stock new and pre-owned Swiss-type lathes, turning centres and machining centres.",
    "Our warehouse in Elk Grove Village, Illinois holds more than one hundred machines ready to ship.",
    "Visitors can arrange a pickup from Chicago O'Hare International Airport to our showroom.",
    "Every used machine is inspected, cleaned and run under power before it leaves the floor.",
    "Our service engineers are factory trained and support installation and operator training.",
    "We offer application engineering, time studies and turnkey tooling packages.",
    "Spare parts for Swiss-type lathes are available from stock for next-day delivery.",
    "Financing and leasing options are available for qualified buyers.",
    "Trade-ins of existing equipment are welcome and appraised within two business days.",
    "We can retrofit bar feeders, chip conveyors and high-pressure coolant systems.",
    "Our team has served medical, aerospace and automotive parts manufacturers for decades.",
    "Request a quote online and a sales engineer will contact you within one business day.",
    "Machine demonstrations can be scheduled at our technology centre.",
    "All machines are sold with documentation, manuals and electrical schematics.",
    "We ship domestically and export worldwide with crating and rigging arranged in house.",
    "Browse our current inventory of sliding headstock and fixed headstock lathes.",
    "Contact our Illinois office by phone or e-mail for availability and pricing.",
    "Gray Machinery Company has represented leading Japanese machine builders for many years.",
    "Subscribe to our newsletter to hear about newly arrived machines first.",
)

# A sloppy copy: the name is swapped in the opening claim only, the rest is verbatim.
ELE_SENTENCES = (GRAY_SENTENCES[0].replace("Gray Machinery Company", "ELE Technology"), *GRAY_SENTENCES[1:]) + (
    "ELE Technology is a branch of Gray Machinery Company.",
    "Currently in stock: two used Tsugami machines, manufactured in 2001 and 2005.",
)

AMEGINO_SENTENCES = (
    "Amegino FZE supplies CNC machine tools, tooling and spare parts from Asia.",
    "We source new and used lathes and machining centres from manufacturers and dealers in China.",
    "Delivery to Russia, Kazakhstan and Belarus with customs clearance included.",
    "Our office is located in the Jebel Ali Free Zone, Dubai, United Arab Emirates.",
    "Payment in dirhams, yuan or roubles by agreement.",
    "Send us the model and year of the machine you need and we will find it.",
)

OFFICIAL_SENTENCES = (
    "Nippon Kosaku Shoji is a machine tool trading house founded in Osaka.",
    "We are an official sales agent of Tsugami Corporation for export markets.",
    "Our engineers support installation and commissioning worldwide.",
    "We supply Swiss-type lathes, precision turning machines and machining centres.",
)

PARTIES = (
    Party(
        key="case-amg", role="importer", schema="Company", canonical='ООО "АМГ"', country="RU",
        address="г. Москва, ул. Бауманская, д. 7, стр. 1, 105005", city="Moscow",
        variants=('ООО "АМГ"', "OOO AMG", "AMG LLC", "ООО АМГ", "ООО «АМГ»",
                  "Obshchestvo s ogranichennoy otvetstvennostyu AMG", "AMG LLS"),
        variant_weights=(0.28, 0.2, 0.18, 0.12, 0.12, 0.06, 0.04),
        aliases=("AMG LLC", "OOO AMG", "Obshchestvo s ogranichennoy otvetstvennostyu AMG",
                 "ООО «АМГ»"),
        inn="7725412340", ogrn="1177746412348", incorporation_date=date(2017, 6, 14),
        topics=("sanction",), listings=(_ofac(date(2023, 5, 19)),),
        expected_flags=("sanctioned", "military_end_user"),
        note="Russian military supplier, US-sanctioned 2023; bought Tsugami machines for Kometa.",
    ),
    Party(
        key="case-kometa", role="end_user", schema="Company", canonical='АО "Корпорация "Комета"',
        country="RU", address="г. Москва, ул. Автозаводская, д. 21, 115280", city="Moscow",
        aliases=("JSC Corporation Kometa", "Joint Stock Company Corporation Kometa",
                 "AO Korporatsiya Kometa", "Корпорация Комета"),
        inn="7725834567", ogrn="1097746345674", incorporation_date=date(2009, 6, 1),
        topics=("sanction", "mil"),
        listings=(_ofac(date(2022, 3, 24), ("sanction", "mil")),
                  Listing("Council of the European Union", "RUS", date(2023, 2, 25), "EU",
                          ("eu_fsf",), ("sanction", "mil"), ofac=False)),
        expected_flags=("military_end_user", "sanctioned"),
        note="Develops weapon systems (missile defence, rocket launchers); AMG's customer.",
    ),
    Party(
        key="case-official", role="official_supplier", schema="Company",
        canonical="Nippon Kosaku Shoji K.K.", country="JP",
        address="2-4-10 Utsubo-honmachi, Nishi-ku, Osaka 550-0004, Japan", city="Osaka",
        variants=("Nippon Kosaku Shoji K.K.", "NIPPON KOSAKU SHOJI CO., LTD.",
                  "Nippon Kosaku Shoji Kabushiki Kaisha"),
        variant_weights=(0.6, 0.3, 0.1),
        registration_number="1200-01-098765", website="nippon-kosaku.co.jp",
        note="The brand's official export agent (invented name); stops after February 2022.",
    ),
    Party(
        key="case-amegino", role="broker", schema="Company", canonical="Amegino FZE", country="AE",
        address="Jebel Ali Free Zone, LOB 16, Office 512, Dubai, United Arab Emirates", city="Dubai",
        variants=("Amegino FZE", "AMEGINO F.Z.E.", "Амегино ФЗЕ", "AMEGINO FZE"),
        variant_weights=(0.45, 0.3, 0.15, 0.1),
        aliases=("AMEGINO F.Z.E.", "Амегино ФЗЕ"),
        registration_number="JAFZA-178512", incorporation_date=date(2021, 9, 12),
        website="amegino.ae", topics=("sanction",), listings=(_ofac(date(2023, 11, 2)),),
        expected_flags=("sanctioned", "intermediary_surge", "hosting_mismatch", "transshipment",
                        "brand_diversion", "priority_goods"),
        note="UAE broker; website hosted in Russia; owned by Andrey Mironov.",
    ),
    Party(
        key="case-ele", role="front", schema="Company", canonical="Shenzhen ELE Technology Co., Ltd.",
        country="CN",
        address="Room 1708, Block A, Tian'an Cyber Park, Futian District, Shenzhen, Guangdong, China",
        city="Shenzhen",
        variants=("Shenzhen ELE Technology Co., Ltd.", "深圳市易乐科技有限公司", "ELE Technology Limited",
                  "SHENZHEN ELE TECHNOLOGY CO.,LTD"),
        variant_weights=(0.4, 0.25, 0.2, 0.15),
        aliases=("深圳市易乐科技有限公司", "ELE Technology Limited", "ELE Technology"),
        registration_number="91440300MA5G7E1E2X", incorporation_date=date(2020, 11, 3),
        website="eletech-cnc.cn",
        expected_flags=("impersonation", "intermediary_surge", "brand_diversion", "transshipment",
                        "priority_goods"),
        note="Shenzhen front; website copies Gray Machinery's and claims to be its branch.",
    ),
    Party(
        key="case-gray", role="cloned_distributor", schema="Company", canonical="Gray Machinery Company",
        country="US", address="Elk Grove Village, IL 60007, USA", city="Elk Grove Village",
        aliases=("Gray Machinery Co.",), website="graymachinery.com",
        note="Real authorised US Tsugami distributor whose website ELE copied; never ships to Russia.",
    ),
    Party(
        key="case-mironov", role="owner", schema="Person", canonical="Andrey Mironov", country="RU",
        address="Moscow, Russia", city="Moscow",
        aliases=("Андрей Миронов", "Mironov Andrey", "Andrei Mironov"),
        expected_flags=("sanctions_proximity",),
        note="Owns 100% of Amegino FZE (corporate intelligence via Diligencia, as reported).",
    ),
    Party(
        key="bg-kometa-nsk", role="near_miss", schema="Company", canonical='ООО "Комета"', country="RU",
        address="г. Новосибирск, ул. Станционная, д. 38, 630108", city="Novosibirsk",
        variants=('ООО "Комета"', "OOO Kometa", "Kometa LLC", "ООО «Комета»"),
        variant_weights=(0.4, 0.25, 0.2, 0.15),
        inn="5404123984", ogrn="1125476098769", incorporation_date=date(2012, 3, 5),
        note="Ordinary furniture maker in Novosibirsk: a near-miss name for Kometa, not part of the case.",
    ),
)

_NOTE_EN = "by order of AMEGINO FZE (UAE)"
_NOTE_RU = "по поручению AMEGINO FZE (ОАЭ)"

FLOWS = (
    CaseFlow("case-official", 2021, (3, 5, 8, 10, 12), 490_000, {"JP": 1.0}, {"JP": 1.0},
             {"JPY": 0.8, "USD": 0.2}, label="official_2021"),
    CaseFlow("case-official", 2022, (1, 2), 60_000, {"JP": 1.0}, {"JP": 1.0},
             {"JPY": 1.0}, label="official_2022"),
    CaseFlow("case-amegino", 2022, tuple(range(4, 13)), 7_300_000, {"JP": 0.85, "CN": 0.15},
             {"CN": 0.6, "AE": 0.4}, {"USD": 0.6, "CNY": 0.25, "EUR": 0.15}, used_years=(2006, 2020),
             label="amegino_2022"),
    CaseFlow("case-ele", 2022, tuple(range(7, 13)), 1_640_000, {"JP": 1.0}, {"CN": 1.0},
             {"CNY": 0.6, "USD": 0.4}, used_years=(2003, 2018), label="ele_2022"),
    CaseFlow("case-ele", 2023, (1, 2, 3), 2_200_000, {"JP": 1.0}, {"CN": 1.0},
             {"USD": 0.7, "CNY": 0.3}, trading_country="AE", used_years=(2004, 2018),
             note_en=_NOTE_EN, note_ru=_NOTE_RU, label="ele_via_amegino_2023"),
    CaseFlow("case-ele", 2023, tuple(range(4, 13)), 5_800_000, {"JP": 1.0}, {"CN": 1.0},
             {"CNY": 0.6, "USD": 0.4}, used_years=(2003, 2019), fixed_years=(2001, 2005),
             label="ele_2023"),
    CaseFlow("case-amegino", 2023, tuple(range(1, 13)), 32_000_000, {"JP": 0.85, "CN": 0.15},
             {"CN": 0.6, "AE": 0.4}, {"USD": 0.6, "CNY": 0.25, "EUR": 0.15}, used_years=(2006, 2021),
             label="amegino_2023"),
)

_EU = (0.5, 0.35, 0.3, 0.28)
MARKET = MarketSpec(
    headings=tuple(str(h) for h in range(8456, 8467)),
    hs_codes=("845611", "845620", "845710", "845720", "845811", "845819", "845891", "845899",
              "845921", "845961", "845969", "846011", "846031", "846150", "846221", "846229",
              "846291", "846510", "846591", "846693", "846694"),
    importer_country="RU", rising_origin="CN", prewar_share=0.12, cutoff_value_gbp=6_500_000,
    peak_month="2023-07", peak_value_gbp=68_000_000, peak_share=0.57,
    origins=(
        OriginProfile("DE", 12_630_000, _EU), OriginProfile("IT", 8_100_000, (0.5, 0.35, 0.28, 0.26)),
        OriginProfile("JP", 5_240_000, (0.5, 0.35, 0.3, 0.3)),
        OriginProfile("TW", 4_770_000, (0.9, 1.1, 1.35, 1.3)),
        OriginProfile("KR", 2_860_000, (0.85, 1.0, 1.2, 1.15)),
        OriginProfile("CH", 3_340_000, (0.6, 0.45, 0.4, 0.4)),
        OriginProfile("AT", 1_670_000, (0.45, 0.3, 0.25, 0.25)),
        OriginProfile("CZ", 2_150_000, _EU), OriginProfile("FR", 1_190_000, (0.4, 0.25, 0.2, 0.2)),
        OriginProfile("ES", 720_000, (0.4, 0.25, 0.2, 0.2)), OriginProfile("PL", 950_000, (0.3, 0.15, 0.1, 0.1)),
        OriginProfile("GB", 1_190_000, (0.2, 0.05, 0.03, 0.03)),
        OriginProfile("US", 1_430_000, (0.25, 0.08, 0.05, 0.05)),
        OriginProfile("TR", 950_000, (1.5, 4.0, 9.0, 9.0), flex=True),
        OriginProfile("IN", 240_000, (2.0, 6.0, 14.0, 14.0), flex=True),
        OriginProfile("BY", 240_000, (2.0, 6.0, 16.0, 16.0), flex=True),
    ),
)


def tsugami_scenario() -> Scenario:
    """The seeds' case: Tsugami → AMG (for Kometa) via Amegino (AE) and ELE Technology (CN)."""
    return Scenario(
        name="tsugami",
        title="Japanese CNC machine tools reach a sanctioned Russian military supplier",
        source_note="Replays public reporting: Financial Times / C4ADS (2024) on AMG, Amegino and "
                    "ELE Technology; market figures from Russian customs data as reported.",
        brand=Brand(
            name="Tsugami", country="JP", variants=("TSUGAMI", "Tsugami", "TSUGAMI CORP."),
            products=PRODUCTS, domain="tsugami.co.jp",
            other_distributors=(("Kansai Seimitsu Kikai K.K.", "JP", "kansai-seimitsu.co.jp"),
                                ("Swisslathe Europa GmbH", "DE", "swisslathe-europa.de"),
                                ("Precision Turning Ltd", "GB", "precisionturning.co.uk"),
                                ("Formosa Swiss Lathe Co., Ltd.", "TW", "formosa-swiss.com.tw")),
        ),
        parties=PARTIES,
        flows=FLOWS,
        websites=(
            WebSite("amegino.ae", "Amegino FZE", "Jebel Ali Free Zone, Dubai, United Arab Emirates",
                    "RU", "RU", AMEGINO_SENTENCES, "case-amegino"),
            WebSite("graymachinery.com", "Gray Machinery Company", "Elk Grove Village, Illinois, USA",
                    "US", "US", GRAY_SENTENCES, "case-gray"),
            WebSite("eletech-cnc.cn", "ELE Technology", "Elk Grove Village, Illinois, USA",
                    "CN", "CN", ELE_SENTENCES, "case-ele"),
            WebSite("nippon-kosaku.co.jp", "Nippon Kosaku Shoji K.K.", "Osaka, Japan",
                    "JP", "JP", OFFICIAL_SENTENCES, "case-official"),
        ),
        market=MARKET,
        cutoff=date(2022, 2, 24),
        end_user_link_role="supply contract for machine tools",
        ownership=(("case-mironov", "case-amegino", 1.0, date(2021, 9, 12)),),
        end_user_link=("case-amg", "case-kometa"),
        figures={
            "importer_2021_gbp": (("*",), (2021,), 490_000),
            "importer_2022_gbp": (("*",), (2022,), 9_000_000),
            "importer_2023_gbp": (("*",), (2023,), 40_000_000),
        },
    )
