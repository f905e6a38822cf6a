"""One-off: writes tests/data/er/hard_pairs.csv from the hand-written cases below."""

import collections
import csv
from pathlib import Path

F = ["name", "aliases", "country", "address", "id", "domain"]
rows = []


def add(cat, same, left, right, note=""):
    def norm(x):
        if isinstance(x, str):
            x = {"name": x}
        return [x.get(f, "") for f in F]

    rows.append([cat, *norm(left), *norm(right), "true" if same else "false", note])


# 1. transliteration Cyrillic <-> Latin (same firm), with country
translit = [
    ('ООО "АМГ"', "OOO AMG"),
    ("АО «Комета»", "AO Kometa"),
    ('ПАО "Сбербанк"', "PAO Sberbank"),
    ("ООО «Ромашка»", "OOO Romashka"),
    ('АО "Концерн Калашников"', "Kalashnikov Concern JSC"),
    ("ООО «Техноком»", "Tekhnokom LLC"),
    ("ООО «Станкопром»", "Stankoprom OOO"),
    ('АО "Радиоэлектронные технологии"', "AO Radioelektronnye Tekhnologii"),
    ("ООО «Промтехснаб»", "OOO Promtekhsnab"),
    ("ООО «Микрон»", "Mikron LLC"),
    ("ЗАО «Электроприбор»", "ZAO Elektropribor"),
    ("ООО «Сервис-Инжиниринг»", "Servis-Inzhiniring LLC"),
    ("ООО «Альфа Трейд»", "Alfa Treid OOO"),
    ("АО «Уралвагонзавод»", "Uralvagonzavod JSC"),
    ("ООО «Восток Импорт»", "Vostok Import LLC"),
    ("ООО «Гранит»", "OOO Granit"),
    ("ООО «Оптима»", "OOO OPTIMA"),
    ("ООО «Снабжение Плюс»", "Snabzhenie Plyus LLC"),
    ("ООО «Стройтехника»", "OOO Stroytekhnika"),
    ("АО «Почта России»", "AO Pochta Rossii"),
    ("ООО «Северсталь-Инвест»", "Severstal-Invest LLC"),
    ("ООО «Прибор»", "Pribor OOO"),
    ("ООО «Балтика»", "Baltika LLC"),
    ("ООО «Металлинвест»", "Metallinvest LLC"),
    ("ООО «Энергомаш»", "ENERGOMASH OOO"),
    ("ООО «Ростехимпорт»", "Rostekhimport LLC"),
    ("ООО «Спецтехника»", "Spetstekhnika LLC"),
    ("ООО «Инструмент»", "OOO Instrument"),
    ("ООО «Меридиан»", "Meridian LLC"),
    ("ООО «Полюс»", "Polyus LLC"),
    ("Общество с ограниченной ответственностью «Вектор»", "Vektor LLC"),
    ("Общество с ограниченной ответственностью «Сигма»", "OOO Sigma"),
    ("Obshchestvo s ogranichennoy otvetstvennostyu Tekhnoservis", "ООО «Техносервис»"),
    ("Aktsionernoe obshchestvo Zvezda", "АО «Звезда»"),
    ("ООО «Лазерные системы»", "Lazernye Sistemy LLC"),
    ("ООО «Интегра»", "Integra LLC"),
    ("ООО «Навигатор»", "OOO Navigator"),
    ("ООО «Сфера»", "Sfera LLC"),
    ("ООО «Атлант»", "Atlant OOO"),
    ("ООО «Дельта»", "DELTA LLC"),
]
for a, b in translit:
    add("transliteration", True, {"name": a, "country": "RU"}, {"name": b, "country": "RU"})
# 2. legal-form variants (same firm)
forms = [
    ("Amegino FZE", "AMEGINO FZCO", "AE"),
    ("Amegino General Trading L.L.C.", "Amegino General Trading LLC", "AE"),
    ("Gulf Star Machinery FZE", "Gulf Star Machinery F.Z.E.", "AE"),
    ("Falcon Tools FZCO", "FALCON TOOLS FZCO.", "AE"),
    ("Desert Rose Trading L.L.C", "Desert Rose Trading LLC", "AE"),
    ("Al Noor Equipment FZE", "AL NOOR EQUIPMENT FZCO", "AE"),
    ("Emirates Precision Tools LLC", "Emirates Precision Tools L.L.C.", "AE"),
    ("Sky Bridge General Trading LLC", "SKY BRIDGE GENERAL TRADING L.L.C", "AE"),
    ("Orion Logistics FZCO", "Orion Logistics Free Zone Company", "AE"),
    ("Meridian Star FZE", "Meridian Star F.Z.E", "AE"),
    ("Tsugami Corporation", "TSUGAMI CORP.", "JP"),
    ("Okuma Corporation", "Okuma Corp", "JP"),
    ("Siemens Aktiengesellschaft", "Siemens AG", "DE"),
    ("Trumpf GmbH", "TRUMPF Gesellschaft mit beschränkter Haftung", "DE"),
    ("DMG Mori Aktiengesellschaft", "DMG MORI AG", "DE"),
    ("Hermle AG", "Maschinenfabrik Berthold Hermle Aktiengesellschaft", "DE"),
    ("ELE Technology Co., Ltd.", "ELE TECHNOLOGY CO LTD", "CN"),
    ("Huatai Machinery Co., Limited", "HUATAI MACHINERY CO LTD", "CN"),
    ("Kingstar Electronics Co Ltd", "Kingstar Electronics Company Limited", "CN"),
    ("Sino Precision Tools Co., Ltd", "Sino Precision Tools Limited", "CN"),
    ("Apex Trading Ltd", "APEX TRADING LIMITED", "HK"),
    ("Golden Ocean Ltd.", "Golden Ocean Limited", "HK"),
    ("Bosphorus Makina Ltd. Şti.", "Bosphorus Makina Limited Şirketi", "TR"),
    ("Anadolu Teknik Ltd Sti", "ANADOLU TEKNIK LTD. ŞTİ.", "TR"),
    ("Caspian Trade LLP", "Caspian Trade L.L.P.", "KZ"),
    ("Astana Machinery LLP", "ASTANA MACHINERY LLP.", "KZ"),
    ("Minsk Tools OOO", "ООО «Минск Тулс»", "BY"),
    ("Armenia Tech LLC", "ARMENIA TECH L.L.C.", "AM"),
    ("Tbilisi Trade Ltd", "TBILISI TRADE LIMITED", "GE"),
    ("Aurora Systems Inc.", "Aurora Systems Incorporated", "US"),
    ("Nordic Tools AB", "Nordic Tools Aktiebolag", "SE"),
    ("Polar Machines Oy", "POLAR MACHINES OY", "FI"),
    ("Baltic Parts SIA", "SIA Baltic Parts", "LV"),
    ("Vilnius Tech UAB", "UAB Vilnius Tech", "LT"),
    ("Kazan Instruments JSC", "АО «Казань Инструментс»", "RU"),
    ("Ural Precision OJSC", "Ural Precision JSC", "RU"),
    ("Volga Machinery CJSC", "ZAO Volga Machinery", "RU"),
    ("Neva Trade PJSC", "PAO Neva Trade", "RU"),
    ("Severnaya Verf AO", "Severnaya Verf JSC", "RU"),
    ("Technopark Ltd", "TECHNOPARK LIMITED", "GB"),
]
for a, b, c in forms:
    add("legal_form", True, {"name": a, "country": c}, {"name": b, "country": c})
# 3. Chinese <-> English: the bridge is in the record (registry alias, shared registration number or domain)
zh = [
    ("深圳市易络科技有限公司", "ELE Technology Co., Ltd.", "ele-tech.cn", "91440300MA5F0X1234"),
    ("深圳市华泰机械有限公司", "Huatai Machinery Co., Limited", "huatai-mach.com", "91440300MA5G1Y2345"),
    ("广州市金星电子有限公司", "Kingstar Electronics Co Ltd", "kingstar-elec.cn", "91440101MA5H2Z3456"),
    ("上海精密工具有限公司", "Shanghai Precision Tools Co., Ltd.", "sh-ptools.com", "91310000MA1K3A4567"),
    ("东莞市远航贸易有限公司", "Yuanhang Trading Co., Ltd.", "yuanhang-trade.com", "91441900MA4W4B5678"),
    ("深圳市星辰电子科技有限公司", "Xingchen Electronic Technology Co Ltd", "xingchen-tech.cn", "91440300MA5J5C6789"),
    ("宁波海天机械股份有限公司", "Ningbo Haitian Machinery Co., Ltd.", "haitian-nb.com", "91330200MA2A6D7890"),
    ("苏州新锐数控有限公司", "Xinrui CNC Co., Ltd.", "xinrui-cnc.com", "91320500MA1M7E8901"),
    ("深圳市锐达科技有限公司", "Ruida Technology Co., Ltd.", "ruida-tech.com", "91440300MA5K8F9012"),
    ("天津华北机床有限公司", "Huabei Machine Tool Co., Ltd.", "huabei-mt.com", "91120000MA0N9G0123"),
]
for i, (cn, en, dom, reg) in enumerate(zh):
    add(
        "zh_en",
        True,
        {"name": cn, "aliases": en, "country": "CN", "id": "reg:" + reg},
        {"name": en, "country": "CN", "id": "reg:" + reg},
        "registry record lists both names; customs gives the reg. number",
    )
    add(
        "zh_en",
        True,
        {"name": cn, "country": "CN", "domain": dom},
        {"name": en, "country": "CN", "domain": dom},
        "same web domain",
    )
    other = zh[(i + 1) % len(zh)]
    add(
        "zh_en",
        False,
        {"name": cn, "country": "CN", "id": "reg:" + reg},
        {"name": other[1], "country": "CN", "id": "reg:" + other[3]},
        "different firms, different registration numbers",
    )
# 4. typos, reordered words, spacing
typos = [
    ("Amegino FZE", "Amegeno FZE", "AE"),
    ("Tsugami Corporation", "Tsugame Corporation", "JP"),
    ("Stankoimport JSC", "Stankoimprot JSC", "RU"),
    ("Kalashnikov Concern", "Kalashnikow Concern", "RU"),
    ("Rostec State Corporation", "Rostek State Corporation", "RU"),
    ("Krasny Oktyabr Plant", "Plant Krasny Oktyabr", "RU"),
    ("Novosibirsk Instrument Works", "Instrument Works Novosibirsk", "RU"),
    ("Zvezda Shipyard", "Shipyard Zvezda", "RU"),
    ("Siemens AG", "SiemensAG", "DE"),
    ("J.P. Morgan Trading", "JP Morgan Trading", "US"),
    ("Tekhno Prom Servis", "Tekhnopromservis", "RU"),
    ("Gulf Star Machinery", "Gulfstar Machinery", "AE"),
    ("Al Noor Equipment", "Alnoor Equipment", "AE"),
    ("Bosphorus Makina", "Bosporus Makina", "TR"),
    ("Sky Bridge Trading", "Skybridge Trading", "AE"),
    ("Okuma Corporation", "Okuma Corporatoin", "JP"),
    ("Meridian Star", "Meridain Star", "AE"),
    ("Vostok Import", "Vostok Imports", "RU"),
    ("Uralvagonzavod", "Uralvagon Zavod", "RU"),
    ("Elektropribor", "Elektro-Pribor", "RU"),
    ("Promtekhsnab", "Prom-Tekh-Snab", "RU"),
    ("Hermle Machine Co", "Hermle Machines Co", "DE"),
    ("Falcon Tools", "Falkon Tools", "AE"),
    ("Orion Logistics", "Orion Logistic", "AE"),
    ("Caspian Trade", "Kaspian Trade", "KZ"),
]
for a, b, c in typos:
    add("typo_reorder", True, {"name": a, "country": c}, {"name": b, "country": c})
# 5. near misses: different firms (same or similar names, other city / id / country)
kometa = [
    (
        {
            "name": 'АО "Комета"',
            "country": "RU",
            "address": "ул. Тверская, д. 7, Москва, 125009",
            "id": "inn:7701000001",
        },
        {
            "name": "AO Kometa",
            "country": "RU",
            "address": "ул. Ленина, д. 12, Новосибирск, 630004",
            "id": "inn:5406000002",
        },
    ),
    (
        {"name": "Kometa LLC", "country": "RU", "address": "Moscow, Tverskaya 7"},
        {"name": "Kometa LLC", "country": "RU", "address": "Novosibirsk, Lenina 12"},
    ),
    (
        {"name": "ООО «Комета»", "country": "RU", "id": "inn:7701000001"},
        {"name": "ООО «Комета»", "country": "RU", "id": "inn:6601000003"},
    ),
]
for a, b in kometa:
    add("near_miss", False, a, b, "two Kometas in different cities")
same_name_other_id = [
    "Granit",
    "Vektor",
    "Sigma",
    "Alfa",
    "Delta",
    "Atlant",
    "Sfera",
    "Integra",
    "Navigator",
    "Polyus",
    "Meridian",
    "Optima",
    "Zvezda",
    "Mikron",
    "Pribor",
    "Instrument",
    "Baltika",
    "Vostok",
    "Tekhnokom",
    "Energomash",
]
for i, n in enumerate(same_name_other_id):
    add(
        "near_miss",
        False,
        {"name": f"OOO {n}", "country": "RU", "id": f"inn:77{i:08d}"},
        {"name": f"ООО «{n}»", "country": "RU", "id": f"inn:78{i:08d}"},
        "same name, different INN",
    )
other_country = [
    ("Apex Trading Ltd", "HK", "GB"),
    ("Golden Ocean Ltd", "HK", "SG"),
    ("Orion Logistics LLC", "AE", "US"),
    ("Aurora Systems Inc", "US", "CA"),
    ("Nordic Tools AB", "SE", "NO"),
    ("Delta Machinery GmbH", "DE", "AT"),
    ("Meridian Trading Ltd", "GB", "CY"),
    ("Phoenix Industries Ltd", "IN", "GB"),
    ("Atlas Tools LLC", "US", "AE"),
    ("Titan Engineering Ltd", "GB", "ZA"),
]
for n, c1, c2 in other_country:
    add(
        "near_miss",
        False,
        {"name": n, "country": c1, "address": f"1 Main Street, {c1}"},
        {"name": n, "country": c2, "address": f"99 Harbour Road, {c2}"},
        "same common name, other country and address",
    )
similar = [
    ("Technopark Ltd", "Technoprom Ltd", "GB"),
    ("Stankoimport JSC", "Stankoexport JSC", "RU"),
    ("Rostekhimport LLC", "Rostekhexport LLC", "RU"),
    ("Kalashnikov Concern", "Kalinin Concern", "RU"),
    ("Amegino FZE", "Amerigo FZE", "AE"),
    ("Gulf Star Machinery", "Gulf Sun Machinery", "AE"),
    ("Falcon Tools FZCO", "Falcon Foods FZCO", "AE"),
    ("Sky Bridge Trading", "Sky Ridge Trading", "AE"),
    ("Meridian Star FZE", "Meridian Sun FZE", "AE"),
    ("Huatai Machinery", "Huatian Machinery", "CN"),
    ("Kingstar Electronics", "Kingston Electronics", "CN"),
    ("Xinrui CNC", "Xinhui CNC", "CN"),
    ("Ruida Technology", "Ruide Technology", "CN"),
    ("Novosibirsk Instrument Works", "Novosibirsk Tractor Works", "RU"),
    ("Ural Precision", "Ural Petroleum", "RU"),
    ("Volga Machinery", "Volga Marine", "RU"),
    ("Neva Trade", "Neva Travel", "RU"),
    ("Baltic Parts", "Baltic Ports", "LV"),
    ("Polar Machines", "Polar Mining", "FI"),
    ("Astana Machinery", "Astana Motors", "KZ"),
    ("Bosphorus Makina", "Bosphorus Marine", "TR"),
    ("Anadolu Teknik", "Anadolu Tekstil", "TR"),
    ("Caspian Trade", "Caspian Travel", "KZ"),
    ("Armenia Tech", "Armenia Tel", "AM"),
    ("Vektor Systems", "Vektor Security", "RU"),
    ("Promtekhsnab", "Promstroysnab", "RU"),
    ("Elektropribor", "Elektroprovod", "RU"),
    ("Energomash", "Energomera", "RU"),
    ("Metallinvest", "Metallservis", "RU"),
    ("Severstal-Invest", "Severstal-Trans", "RU"),
    ("Okuma Corporation", "Okamoto Corporation", "JP"),
    ("Tsugami Corporation", "Tsubaki Corporation", "JP"),
    ("Hermle AG", "Hermes AG", "DE"),
    ("Trumpf GmbH", "Trumpler GmbH", "DE"),
    ("Zvezda Shipyard", "Zvezdochka Shipyard", "RU"),
    ("Almaz Antey", "Almaz Trade", "RU"),
    ("Granit Electron", "Granit Stone", "RU"),
    ("Sigma Tools", "Sigma Foods", "RU"),
    ("Integra Systems", "Intertech Systems", "RU"),
    ("Navigator Logistics", "Navigator Pharma", "RU"),
]
for a, b, c in similar:
    add("near_miss", False, {"name": a, "country": c}, {"name": b, "country": c}, "similar names, different firms")

with open(Path(__file__).with_name("hard_pairs.csv"), "w", encoding="utf-8", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["pair_id", "category", *[f"left_{f}" for f in F], *[f"right_{f}" for f in F], "same", "note"])
    for i, r in enumerate(rows, 1):
        w.writerow([f"H{i:03d}", *r])

print(len(rows), collections.Counter((r[0], r[-2]) for r in rows))
