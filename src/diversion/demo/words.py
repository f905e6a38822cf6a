"""Word lists the demo builds ordinary company names and addresses from (all invented)."""

from __future__ import annotations

# Latin syllables for brand-like stems ("Vortex", "Kalmar"...).
STEM_HEADS = (
    "Vor", "Kal", "Tor", "Mer", "Bel", "Dan", "Fal", "Gar", "Hel", "Ist", "Jor", "Kor", "Lin", "Mag",
    "Nor", "Ost", "Pra", "Quin", "Ros", "Sar", "Tel", "Ul", "Ver", "Wal", "Xen", "Zan", "Alt", "Bren",
    "Cor", "Dex", "Ever", "Fer", "Gal", "Hal", "Iri", "Kin", "Lum", "Mir", "Nex", "Orb",
)
STEM_TAILS = (
    "tex", "mar", "ion", "ant", "ora", "ix", "eon", "ard", "ex", "um", "ano", "ova", "ila", "ent",
    "ron", "ast", "ena", "ida", "oro", "is", "ak", "el", "ur", "ino", "etta", "ander", "berg", "tech",
)

SURNAMES_DE = (
    "Müller", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer", "Koch", "Richter", "Wolf",
    "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause",
    "Lehmann", "Köhler", "Maier", "Fuchs", "Vogel", "Keller", "Günther", "Frank", "Berger", "Winkler",
)
SURNAMES_IT = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
    "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
    "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
)
INDUSTRY_DE = ("Maschinenbau", "Werkzeugmaschinen", "Präzisionstechnik", "Fertigungstechnik", "Industrietechnik")
INDUSTRY_IT = ("Macchine Utensili", "Meccanica", "Industria Meccanica", "Tecnologie", "Costruzioni Meccaniche")

# (pinyin, hanzi) pairs for Chinese company names.
CN_CITIES = (
    ("Shenzhen", "深圳市"), ("Dongguan", "东莞市"), ("Ningbo", "宁波市"), ("Suzhou", "苏州市"), ("Wuxi", "无锡市"),
    ("Jinan", "济南"), ("Dalian", "大连"), ("Shanghai", "上海"), ("Tianjin", "天津"), ("Qingdao", "青岛"),
    ("Hangzhou", "杭州"), ("Foshan", "佛山市"), ("Xiamen", "厦门"), ("Changzhou", "常州市"), ("Taizhou", "台州市"),
)
CN_WORDS = (
    ("Hengli", "恒力"), ("Jinma", "金马"), ("Huada", "华达"), ("Xinke", "新科"), ("Dongfang", "东方"),
    ("Haitian", "海天"), ("Jingyi", "精一"), ("Longsheng", "隆盛"), ("Ruida", "瑞达"), ("Tianyi", "天一"),
    ("Hongda", "宏达"), ("Shengli", "胜利"), ("Yongxin", "永信"), ("Weida", "威达"), ("Baoli", "宝力"),
    ("Fuxing", "富兴"), ("Kaida", "凯达"), ("Minghua", "明华"), ("Anda", "安达"), ("Jiali", "佳利"),
    ("Xinda", "鑫达"), ("Zhongtian", "中天"), ("Huaxin", "华信"), ("Boyuan", "博远"), ("Chuangyi", "创意"),
)
CN_INDUSTRY = (
    ("Machine Tool", "机床"), ("Precision Machinery", "精密机械"), ("CNC Equipment", "数控设备"),
    ("Intelligent Equipment", "智能装备"), ("Trading", "贸易"), ("Technology", "科技"), ("Industrial", "实业"),
    ("Import & Export", "进出口"), ("Hardware", "五金"), ("Electronics", "电子"),
)

# (Cyrillic, Latin transliteration) stems for Russian company names.
RU_HEADS = (
    ("Пром", "Prom"), ("Тех", "Tekh"), ("Стан", "Stan"), ("Маш", "Mash"), ("Металл", "Metall"),
    ("Инж", "Inzh"), ("Энерго", "Energo"), ("Авто", "Avto"), ("Сиб", "Sib"), ("Урал", "Ural"),
    ("Волга", "Volga"), ("Нева", "Neva"), ("Спец", "Spets"), ("Гидро", "Gidro"), ("Электро", "Elektro"),
    ("Агро", "Agro"), ("Строй", "Stroy"), ("Торг", "Torg"), ("Инвест", "Invest"), ("Про", "Pro"),
    ("Альфа", "Alfa"), ("Вектор", "Vektor"), ("Квант", "Kvant"), ("Север", "Sever"), ("Восток", "Vostok"),
    ("Мега", "Mega"), ("Техно", "Tekhno"), ("Профи", "Profi"), ("Русь", "Rus"), ("Балт", "Balt"),
)
RU_TAILS = (
    ("снаб", "snab"), ("маш", "mash"), ("комплект", "komplekt"), ("сервис", "servis"), ("торг", "torg"),
    ("импорт", "import"), ("стан", "stan"), ("лайн", "layn"), ("пром", "prom"), ("инструмент", "instrument"),
    ("тех", "tekh"), ("металл", "metall"), ("систем", "sistem"), ("трейд", "treyd"), ("контракт", "kontrakt"),
    ("деталь", "detal"), ("ресурс", "resurs"), ("форм", "form"), ("маркет", "market"), ("оснастка", "osnastka"),
)
RU_MODIFIERS = (
    ("", ""), ("", ""), ("", ""), ("-М", "-M"), (" Плюс", " Plyus"), ("-Центр", "-Tsentr"),
    (" Групп", " Grupp"), ("-2000", "-2000"), ("-Сибирь", "-Sibir"), ("-Юг", "-Yug"),
)
RU_CITIES = (
    ("г. Москва", 0.35, "77"), ("г. Санкт-Петербург", 0.15, "78"), ("г. Екатеринбург", 0.08, "66"),
    ("г. Новосибирск", 0.06, "54"), ("г. Казань", 0.06, "16"), ("г. Нижний Новгород", 0.06, "52"),
    ("г. Челябинск", 0.06, "74"), ("г. Самара", 0.05, "63"), ("г. Пермь", 0.05, "59"), ("г. Тула", 0.04, "71"),
    ("г. Ижевск", 0.04, "18"),
)
RU_STREETS = (
    "ул. Ленина", "ул. Заводская", "ул. Промышленная", "ул. Садовая", "пр-т Мира", "ул. Гагарина",
    "ул. Советская", "Шоссе Энтузиастов", "ул. Победы", "ул. Строителей", "ул. Кирова", "ул. Индустриальная",
)

# Other legal forms and cities per exporter country: (forms, cities, tld).
FOREIGN = {
    "DE": (("GmbH", "GmbH & Co. KG", "AG"), ("Stuttgart", "München", "Chemnitz", "Bielefeld", "Nürnberg"), "de"),
    "IT": (("S.p.A.", "S.r.l."), ("Milano", "Bergamo", "Brescia", "Torino", "Bologna"), "it"),
    "JP": (("K.K.", "Co., Ltd."), ("Nagoya", "Osaka", "Niigata", "Hamamatsu", "Tokyo"), "co.jp"),
    "TW": (("Co., Ltd.", "Industrial Corp."), ("Taichung", "Taipei", "Tainan", "Changhua"), "com.tw"),
    "KR": (("Co., Ltd.", "Corporation"), ("Changwon", "Busan", "Incheon", "Daegu"), "co.kr"),
    "CH": (("AG", "SA"), ("Biel", "Zürich", "Basel", "St. Gallen"), "ch"),
    "AT": (("GmbH",), ("Linz", "Graz", "Wien", "Steyr"), "at"),
    "CZ": (("s.r.o.", "a.s."), ("Brno", "Praha", "Ostrava", "Plzeň"), "cz"),
    "FR": (("SAS", "S.A."), ("Lyon", "Annecy", "Toulouse", "Paris"), "fr"),
    "ES": (("S.L.", "S.A."), ("Bilbao", "Barcelona", "Eibar", "Zaragoza"), "es"),
    "PL": (("Sp. z o.o.",), ("Poznań", "Kraków", "Wrocław", "Łódź"), "pl"),
    "GB": (("Ltd", "Limited"), ("Birmingham", "Coventry", "Sheffield", "Leeds"), "co.uk"),
    "US": (("Inc.", "LLC"), ("Rockford", "Cleveland", "Detroit", "Cincinnati"), "com"),
    "TR": (("Makina San. ve Tic. A.Ş.", "Ltd. Şti."), ("Bursa", "İstanbul", "Konya", "İzmir"), "com.tr"),
    "IN": (("Pvt. Ltd.", "Limited"), ("Pune", "Bengaluru", "Coimbatore", "Rajkot"), "in"),
    "BY": (("OAO", "OOO"), ("Minsk", "Vitebsk", "Gomel"), "by"),
    "NL": (("B.V.",), ("Eindhoven", "Rotterdam", "Utrecht"), "nl"),
    "MY": (("Sdn. Bhd.",), ("Penang", "Kuala Lumpur", "Johor Bahru"), "com.my"),
    "TH": (("Co., Ltd.",), ("Bangkok", "Chonburi", "Rayong"), "co.th"),
    "HK": (("Limited", "Trading Limited"), ("Kowloon", "Hong Kong"), "com.hk"),
    "KZ": (("LLP", "TOO"), ("Almaty", "Astana", "Karaganda"), "kz"),
    "AM": (("LLC",), ("Yerevan", "Gyumri"), "am"),
    "KG": (("LLC", "OsOO"), ("Bishkek", "Osh"), "kg"),
    "AE": (("FZE", "LLC", "General Trading LLC"), ("Dubai", "Sharjah"), "ae"),
}
INDUSTRY_EN = ("Machinery", "Machine Tools", "Precision", "Engineering", "Industrial", "Tooling", "Technology")
STREETS_EN = ("Industrial Road", "Main Street", "Factory Lane", "Technology Park", "Harbour Road", "Centre Avenue")

# English names of countries, for the few rows that write names instead of codes.
COUNTRY_EN = {
    "CN": "China", "DE": "Germany", "IT": "Italy", "JP": "Japan", "TW": "Taiwan", "KR": "South Korea",
    "CH": "Switzerland", "AT": "Austria", "CZ": "Czech Republic", "FR": "France", "ES": "Spain",
    "PL": "Poland", "GB": "United Kingdom", "US": "United States", "TR": "Turkey", "IN": "India",
    "BY": "Belarus", "NL": "Netherlands", "MY": "Malaysia", "TH": "Thailand", "HK": "Hong Kong",
    "KZ": "Kazakhstan", "AM": "Armenia", "KG": "Kyrgyzstan", "AE": "United Arab Emirates", "RU": "Russia",
}
# Upper-case Russian names, as Russian customs extracts write them.
COUNTRY_RU = {
    "CN": "КИТАЙ", "DE": "ГЕРМАНИЯ", "IT": "ИТАЛИЯ", "JP": "ЯПОНИЯ", "TW": "ТАЙВАНЬ (КИТАЙ)",
    "KR": "КОРЕЯ РЕСПУБЛИКА", "CH": "ШВЕЙЦАРИЯ", "AT": "АВСТРИЯ", "CZ": "ЧЕХИЯ", "FR": "ФРАНЦИЯ",
    "ES": "ИСПАНИЯ", "PL": "ПОЛЬША", "GB": "СОЕДИНЕННОЕ КОРОЛЕВСТВО", "US": "СОЕДИНЕННЫЕ ШТАТЫ",
    "TR": "ТУРЦИЯ", "IN": "ИНДИЯ", "BY": "БЕЛАРУСЬ", "NL": "НИДЕРЛАНДЫ", "MY": "МАЛАЙЗИЯ",
    "TH": "ТАИЛАНД", "HK": "ГОНКОНГ", "KZ": "КАЗАХСТАН", "AM": "АРМЕНИЯ", "KG": "КЫРГЫЗСТАН",
    "AE": "ОБЪЕДИНЕННЫЕ АРАБСКИЕ ЭМИРАТЫ", "RU": "РОССИЯ",
}
