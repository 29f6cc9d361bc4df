#!/usr/bin/env python3
"""Build and validate the csm-console sample data set.

Deterministic (random.Random(20261123)), standard library only.

    python3 scripts/build_sample_data.py           # regenerate generated files, then validate everything
    python3 scripts/build_sample_data.py --check   # only validate what is on disk

Generated: sample_data/teams.json, agents.json, customers.csv, sla_policies.json, tickets.json.
Hand-written (validated only): sample_data/templates/*.md, sample_data/kb/*.md.

Ticket texts are composed from hand-written scenario "threads" (one coherent
conversation per thread, per language).  Gendered word forms in Russian and
Latvian are written as ⟨male|female⟩ and resolved by the gender of the author
of the message (customer or agent).
"""
from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

SEED = 20261123
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "sample_data"

# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

GENDER_RE = re.compile(r"⟨([^|⟩]*)\|([^⟩]*)⟩")


def gendered(text: str, gender: str) -> str:
    return GENDER_RE.sub(lambda m: m.group(1) if gender == "m" else m.group(2), text)


def ascii_fold(s: str) -> str:
    table = {"ё": "e", "Ё": "E"}
    s = "".join(table.get(c, c) for c in s)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


RU_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


def translit(s: str) -> str:
    s = "".join(RU_LAT.get(c, c) for c in s.lower())
    return re.sub(r"[^a-z0-9]+", "", ascii_fold(s).lower())


def fmt_offset(minutes: int) -> str:
    minutes = int(minutes)
    if minutes < 1:
        raise ValueError(f"offset must be at least 1 minute, got {minutes}")
    d, rem = divmod(minutes, 1440)
    h, m = divmod(rem, 60)
    return "-" + (f"{d}d" if d else "") + (f"{h}h" if h else "") + (f"{m}m" if m else "")


OFFSET_RE = re.compile(r"^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


def parse_offset(s: str) -> int:
    m = OFFSET_RE.match(s or "")
    if not m or s == "-":
        raise ValueError(f"bad offset {s!r}")
    d, h, mi = (int(x) if x else 0 for x in m.groups())
    return d * 1440 + h * 60 + mi


def dump_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def lv_vocative(first: str, gender: str) -> str:
    """Latvian vocative for greetings: Jānis -> Jāni, Raimonds -> Raimond."""
    if gender == "m" and first.endswith("s"):
        return first[:-1]
    return first


# --------------------------------------------------------------------------
# teams, agents, SLA
# --------------------------------------------------------------------------

TEAMS = [
    {"name": "Frontline", "tier": "L1",
     "description": "First-line support for English- and Latvian-speaking customers (email, chat, phone, web form). "
                    "Answers billing questions, does basic troubleshooting and routes complex cases to L2/L3."},
    {"name": "Frontline RU", "tier": "L1",
     "description": "First-line support for Russian-speaking customers (русскоязычная линия поддержки). Same scope as Frontline."},
    {"name": "Technical", "tier": "L2",
     "description": "Second-line technical support: line diagnostics, routers and TV boxes, Wi-Fi, mobile data, "
                    "self-service login problems, hardware replacements."},
    {"name": "Billing Experts", "tier": "L3",
     "description": "Billing and contract specialists: refunds above the L1 limit, payment investigations with banks, "
                    "disputed invoices, roaming disputes and early termination fees."},
    {"name": "Network Operations", "tier": "L3",
     "description": "Network operations centre (NOC): area outages, fibre and building cabinet faults, field technician dispatch."},
]
TEAM_TIER = {t["name"]: t["tier"] for t in TEAMS}
FRONTLINE = {"en": "Frontline", "lv": "Frontline", "ru": "Frontline RU"}

# handle, name, role, team, active, gender, languages, Russian sign-off name, signature
AGENT_ROWS = [
    ("anna", "Anna Kalniņa", "lead", "Frontline", True, "f", "lv en ru", "Анна",
     "Kind regards / Ar cieņu,\nAnna Kalniņa\nTeam Lead, Customer Care\nBaltic Net"),
    ("demo", "Demo Operator", "operator", "Frontline", True, "m", "en lv", None,
     "Best regards,\nDemo Operator\nBaltic Net Customer Care"),
    ("janis", "Jānis Ozols", "operator", "Frontline", True, "m", "lv en", None,
     "Ar cieņu,\nJānis Ozols\nBaltic Net klientu atbalsts"),
    ("laura", "Laura Liepiņa", "operator", "Frontline", True, "f", "lv en", None,
     "Ar cieņu / Best regards,\nLaura Liepiņa\nBaltic Net Customer Care"),
    ("mark", "Mark Ellis", "operator", "Frontline", True, "m", "en", None,
     "Cheers,\nMark Ellis\nBaltic Net Customer Care"),
    ("elina", "Elīna Krūmiņa", "operator", "Frontline", False, "f", "lv en", None,
     "Ar cieņu,\nElīna Krūmiņa\nBaltic Net klientu atbalsts"),
    ("svetlana", "Svetlana Morozova", "lead", "Frontline RU", True, "f", "ru lv en", "Светлана",
     "С уважением,\nСветлана Морозова\nРуководитель группы поддержки, Baltic Net"),
    ("olga", "Olga Petrova", "operator", "Frontline RU", True, "f", "ru en", "Ольга",
     "С уважением,\nОльга Петрова\nСлужба поддержки Baltic Net"),
    ("ivan", "Ivan Sokolov", "operator", "Frontline RU", True, "m", "ru lv", "Иван",
     "С уважением,\nИван Соколов\nСлужба поддержки Baltic Net"),
    ("dmitry", "Dmitrijs Kuzņecovs", "operator", "Frontline RU", True, "m", "ru lv", "Дмитрий",
     "С уважением / Ar cieņu,\nДмитрий Кузнецов (Dmitrijs Kuzņecovs)\nBaltic Net"),
    ("martins", "Mārtiņš Bērziņš", "lead", "Technical", True, "m", "lv en", None,
     "Ar cieņu,\nMārtiņš Bērziņš\nTehniskā atbalsta vadītājs | Technical Support Lead\nBaltic Net"),
    ("sergey", "Sergejs Volkovs", "operator", "Technical", True, "m", "ru lv en", "Сергей",
     "С уважением / Best regards,\nSergejs Volkovs\nTechnical Support, Baltic Net"),
    ("kristaps", "Kristaps Zariņš", "operator", "Technical", True, "m", "lv en", None,
     "Ar cieņu,\nKristaps Zariņš\nTehniskais atbalsts, Baltic Net"),
    ("natalia", "Natālija Orlova", "operator", "Technical", True, "f", "ru en", "Наталья",
     "Best regards,\nNatālija Orlova\nTechnical Support, Baltic Net"),
    ("admin", "Kārlis Grīnbergs", "admin", "Technical", True, "m", "lv en", None,
     "Kārlis Grīnbergs\nSystem Administrator, Baltic Net"),
    ("inese", "Inese Vītola", "lead", "Billing Experts", True, "f", "lv en", None,
     "Ar cieņu,\nInese Vītola\nNorēķinu nodaļas vadītāja | Head of Billing\nBaltic Net"),
    ("pavel", "Pāvels Ivanovs", "operator", "Billing Experts", True, "m", "ru lv en", "Павел",
     "С уважением,\nPāvels Ivanovs\nОтдел расчётов, Baltic Net"),
    ("zane", "Zane Kļaviņa", "operator", "Billing Experts", True, "f", "lv en ru", "Зане",
     "Ar cieņu / Best regards,\nZane Kļaviņa\nBilling Specialist, Baltic Net"),
    ("edgars", "Edgars Liepa", "lead", "Network Operations", True, "m", "lv en", None,
     "Edgars Liepa\nNetwork Operations Centre, Baltic Net\nnoc@balticnet.example"),
    ("roman", "Romāns Fjodorovs", "operator", "Network Operations", True, "m", "ru lv en", "Роман",
     "Best regards,\nRomāns Fjodorovs\nNetwork Operations, Baltic Net"),
]


def build_agents():
    agents, meta = [], {}
    for handle, name, role, team, active, gender, langs, ru_sign, sig in AGENT_ROWS:
        if handle in ("demo", "admin"):
            email = f"{handle}@balticnet.example"
        else:
            email = ".".join(ascii_fold(p).lower() for p in name.split()) + "@balticnet.example"
        agents.append({"handle": handle, "name": name, "email": email, "role": role,
                       "tier": TEAM_TIER[team], "team": team, "active": active, "signature": sig})
        first = name.split()[0] if handle != "demo" else "Demo Operator"
        meta[handle] = {"handle": handle, "name": name, "team": team, "role": role, "active": active,
                        "gender": gender, "langs": langs.split(),
                        "sign": {"en": first, "lv": first, "ru": ru_sign or first}}
    return agents, meta


SLA_POLICIES = [
    {"priority": "low", "first_response": "1d12h", "resolution": "5d"},
    {"priority": "normal", "first_response": "4h", "resolution": "2d"},
    {"priority": "high", "first_response": "1h", "resolution": "1d"},
    {"priority": "urgent", "first_response": "30m", "resolution": "8h"},
    {"priority": "high", "segment": "vip", "first_response": "30m", "resolution": "12h"},
    {"priority": "urgent", "segment": "vip", "first_response": "15m", "resolution": "4h"},
]

# --------------------------------------------------------------------------
# customers
# --------------------------------------------------------------------------

CUSTOMER_ROWS = [
    # name, gender, language, company, segment
    ("James Whitfield", "m", "en", "", "vip"),
    ("Sarah O'Connor", "f", "en", "", "standard"),
    ("Daniel Hughes", "m", "en", "SIA Northlight Design", "business"),
    ("Priya Raman", "f", "en", "Riga Code Hub", "business"),
    ("Michael Brennan", "m", "en", "", "standard"),
    ("Emily Foster", "f", "en", "", "standard"),
    ("Thomas Reid", "m", "en", "Baltic Freight Solutions", "business"),
    ("Hannah Carter", "f", "en", "", "vip"),
    ("Lars Andersson", "m", "en", "Nordic Timber Trading SIA", "business"),
    ("Chloe Lawson", "f", "en", "", "standard"),
    ("Ryan Walsh", "m", "en", "", "standard"),
    ("Grace Murphy", "f", "en", "", "standard"),
    ("Tomasz Kowalski", "m", "en", "", "standard"),
    ("Olivia Bennett", "f", "en", "", "standard"),
    ("Peter Clarke", "m", "en", "Clarke & Vītols, Attorneys", "business"),
    ("Rachel Howard", "f", "en", "", "standard"),
    ("Jonas Fischer", "m", "en", "", "vip"),
    ("Megan Doyle", "f", "en", "", "standard"),
    ("Samuel Price", "m", "en", "", "standard"),
    ("Sophie Hale", "f", "en", "", "standard"),
    ("Ben Sullivan", "m", "en", "", "standard"),
    ("Kate Morgan", "f", "en", "Morgan Yoga Studio", "business"),
    ("Lucas Martin", "m", "en", "", "standard"),
    ("Jessica Hayes", "f", "en", "", "standard"),
    ("Adam Novak", "m", "en", "", "standard"),
    ("Ellen Park", "f", "en", "", "standard"),
    ("Алексей Смирнов", "m", "ru", "SIA Alfa Stroy", "business"),
    ("Ирина Кузнецова", "f", "ru", "", "standard"),
    ("Дмитрий Попов", "m", "ru", "", "vip"),
    ("Екатерина Волкова", "f", "ru", "", "standard"),
    ("Сергей Лебедев", "m", "ru", "SIA Transservis", "business"),
    ("Наталья Козлова", "f", "ru", 'SIA "Lilija"', "business"),
    ("Андрей Новиков", "m", "ru", "", "standard"),
    ("Ольга Васильева", "f", "ru", "", "standard"),
    ("Михаил Фёдоров", "m", "ru", "", "standard"),
    ("Татьяна Павлова", "f", "ru", "", "vip"),
    ("Владимир Семёнов", "m", "ru", "Autoserviss Semjonovs SIA", "business"),
    ("Елена Голубева", "f", "ru", "", "standard"),
    ("Игорь Виноградов", "m", "ru", "", "standard"),
    ("Светлана Богданова", "f", "ru", "", "standard"),
    ("Артём Воробьёв", "m", "ru", "", "standard"),
    ("Юлия Киселёва", "f", "ru", "", "standard"),
    ("Николай Орлов", "m", "ru", "", "standard"),
    ("Марина Степанова", "f", "ru", "Stepanova Beauty SIA", "business"),
    ("Павел Николаев", "m", "ru", "", "standard"),
    ("Анастасия Захарова", "f", "ru", "", "standard"),
    ("Виктор Зайцев", "m", "ru", "", "standard"),
    ("Людмила Соловьёва", "f", "ru", "", "standard"),
    ("Константин Белов", "m", "ru", "", "vip"),
    ("Галина Тарасова", "f", "ru", "", "standard"),
    ("Денис Ковалёв", "m", "ru", "SIA Baltic Print", "business"),
    ("Валентина Григорьева", "f", "ru", "", "standard"),
    ("Līga Bērziņa", "f", "lv", "", "vip"),
    ("Jānis Kalniņš", "m", "lv", "SIA Kalniņš un dēli", "business"),
    ("Ilze Ozoliņa", "f", "lv", "", "standard"),
    ("Andris Liepiņš", "m", "lv", "", "standard"),
    ("Kristīne Jansone", "f", "lv", "Zobārstniecība Smaids", "business"),
    ("Māris Krūmiņš", "m", "lv", "", "standard"),
    ("Inga Vītoliņa", "f", "lv", "", "standard"),
    ("Raimonds Zariņš", "m", "lv", "SIA Daugavas Loģistika", "business"),
    ("Dace Pētersone", "f", "lv", "", "standard"),
    ("Uldis Kļaviņš", "m", "lv", "", "standard"),
    ("Sanita Eglīte", "f", "lv", "SIA Kafejnīca Rīts", "business"),
    ("Guntis Siliņš", "m", "lv", "", "standard"),
    ("Baiba Lāce", "f", "lv", "", "standard"),
    ("Ēriks Freimanis", "m", "lv", "Ozols, Liepa & Partneri", "business"),
    ("Agnese Balode", "f", "lv", "", "standard"),
    ("Normunds Ābols", "m", "lv", "", "vip"),
    ("Evija Vanaga", "f", "lv", "", "standard"),
    ("Artūrs Dzenis", "m", "lv", "", "standard"),
    ("Laila Strazdiņa", "f", "lv", "", "standard"),
    ("Roberts Šmits", "m", "lv", "SIA Meža Māja", "business"),
    ("Ieva Ķemere", "f", "lv", "", "standard"),
    ("Gatis Žagars", "m", "lv", "", "standard"),
    ("Anete Čakste", "f", "lv", "", "standard"),
    ("Valdis Ģērmanis", "m", "lv", "", "standard"),
    ("Rūta Puķīte", "f", "lv", "", "standard"),
    ("Oskars Lūsis", "m", "lv", "", "standard"),
]

PERSONAL_DOMAINS = {
    "en": ["example.com", "example.net", "mail.example.com"],
    "ru": ["pochta.example", "inbox.example", "example.net"],
    "lv": ["inbox.example", "pasts.example", "example.com"],
}

ADDRESSES = [
    "Brīvības iela 148-12", "Krišjāņa Barona iela 56-3", "Maskavas iela 240-17", "Dzirnavu iela 91-5",
    "Lāčplēša iela 33-8", "Tērbatas iela 14-2", "Ganību dambis 27-40", "Kurzemes prospekts 118-64",
    "Ulbrokas iela 19-7", "Purvciema iela 30-45", "Gaujas iela 9-11", "Slokas iela 62-9",
    "Jūrmalas gatve 74-33", "Zolitūdes iela 4-58", "Lielvārdes iela 120-21", "Biķernieku iela 43-90",
    "Valdemāra iela 21-6", "Stabu iela 57-14", "Ieriķu iela 3-27", "Anniņmuižas bulvāris 38-71",
    "Dammes iela 16-5", "Vienības gatve 109-3", "Kalnciema iela 88-2", "Mārupes iela 10-19",
    "Salaspils iela 12-48", "Rēznas iela 6-30", "Ķengaraga iela 2-112", "Deglava iela 50-25",
    "Miera iela 41-4", "Hospitāļu iela 7-16",
]


def build_customers(rng: random.Random):
    customers, seen_emails, seen_phones = [], set(), set()
    for name, gender, lang, company, segment in CUSTOMER_ROWS:
        first, last = name.split(" ", 1)
        if lang == "ru":
            f, l = translit(first), translit(last)
        else:
            f, l = (re.sub(r"[^a-z]", "", ascii_fold(x).lower()) for x in (first, last))
        if company:
            slug = re.sub(r"\b(sia)\b", "", ascii_fold(company).lower())
            slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-")
            slug = "-".join(slug.split("-")[:3])
            domain = f"{slug}.example"
            patterns = [f"{f}", f"{f}.{l}", f"{f[0]}.{l}"]
        else:
            domain = rng.choice(PERSONAL_DOMAINS[lang])
            patterns = [f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}", f"{f}{l}{rng.randint(70, 99)}", f"{l}.{f}"]
        email = None
        for p in rng.sample(patterns, len(patterns)):
            if f"{p}@{domain}" not in seen_emails:
                email = f"{p}@{domain}"
                break
        assert email, name
        seen_emails.add(email)
        while True:
            phone = "+371 2" + "".join(str(rng.randint(0, 9)) for _ in range(7))
            if phone not in seen_phones:
                seen_phones.add(phone)
                break
        pref = rng.choices(["email", "phone", "chat", "web"], [40, 25, 20, 15])[0]
        customers.append({
            "name": name, "email": email, "phone": phone, "company": company, "language": lang,
            "preferred_channel": pref, "segment": segment,
            # internal only (not written to the CSV)
            "_gender": gender, "_first": first, "_address": rng.choice(ADDRESSES),
        })
    return customers


CSV_HEADER = ["name", "email", "phone", "company", "language", "preferred_channel", "segment"]


# --------------------------------------------------------------------------
# slot values used inside scenario texts: {month}, {amount}, {address}, ...
# --------------------------------------------------------------------------

MONTHS = [  # en, ru (nominative), ru (prepositional), lv genitive, lv accusative, lv locative
    ("September", "сентябрь", "сентябре", "septembra", "septembri", "septembrī"),
    ("October", "октябрь", "октябре", "oktobra", "oktobri", "oktobrī"),
    ("November", "ноябрь", "ноябре", "novembra", "novembri", "novembrī"),
]
DISTRICTS = [  # en, ru, lv locative
    ("Purvciems", "Пурвциемс", "Purvciemā"), ("Imanta", "Иманта", "Imantā"),
    ("Āgenskalns", "Агенскалнс", "Āgenskalnā"), ("Teika", "Тейка", "Teikā"),
    ("Ziepniekkalns", "Зиепниеккалнс", "Ziepniekkalnā"), ("Pļavnieki", "Плявниеки", "Pļavniekos"),
    ("Jugla", "Югла", "Juglā"), ("Ķengarags", "Кенгарагс", "Ķengaragā"),
]
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
    "ru": ["в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу"],
    "lv": ["pirmdien", "otrdien", "trešdien", "ceturtdien", "piektdien", "sestdien"],
}
PLANS = ["Fiber 100", "Fiber 300", "Fiber 500"]
PRICES = [14.99, 17.50, 19.99, 22.49, 24.99, 29.90, 34.99, 39.99]


def money(v: float, lang: str) -> str:
    if lang == "en":
        return f"€{v:.2f}"
    s = f"{v:.2f}".replace(".", ",")
    return f"{s} €" if lang == "ru" else f"{s} EUR"


def make_slots(rng: random.Random, lang: str, customer: dict) -> dict:
    mo = rng.choice(MONTHS)
    dist = rng.choice(DISTRICTS)
    price = rng.choice(PRICES)
    speed = rng.choice([8, 12, 17, 23, 35, 41])
    addr2 = rng.choice([a for a in ADDRESSES if a != customer["_address"]])
    return {
        "month": {"en": mo[0], "ru": mo[1], "lv": mo[3]}[lang],
        "month_loc": {"en": mo[0], "ru": mo[2], "lv": mo[5]}[lang],
        "month_gen": mo[3], "month_acc": mo[4],
        "amount": money(price, lang), "amount2": money(round(price * 2, 2), lang),
        "acct": f"BN-{rng.randint(100000, 999999)}",
        "address": customer["_address"], "address2": addr2,
        "plan": rng.choice(PLANS),
        "speed": f"{speed} Мбит/с" if lang == "ru" else f"{speed} Mbit/s",
        "day": rng.choice(DAYS[lang]),
        "district": dist[1] if lang == "ru" else dist[0], "district_loc": dist[2],
        "inc": str(rng.randint(20000, 29999)),
    }


# --------------------------------------------------------------------------
# generic phrase pools per language
# --------------------------------------------------------------------------

TEAM_WORDS = {
    "en": {"Technical": "technical", "Billing Experts": "billing", "Network Operations": "network operations"},
    "ru": {"Technical": "технического отдела", "Billing Experts": "отдела расчётов",
           "Network Operations": "сетевого отдела"},
    "lv": {"Technical": "tehniskās nodaļas", "Billing Experts": "norēķinu nodaļas",
           "Network Operations": "tīkla nodaļas"},
}

GEN = {
    "en": {
        "greet": ["Hi {first},", "Hello {first},", "Dear {first},"],
        "signoff": ["Best regards,\n{agent}", "Kind regards,\n{agent}\nBaltic Net Support", "Thanks,\n{agent}"],
        "cust_sign": ["\n\nThanks,\n{first}", "\n\n{first}", "\n\nRegards,\n{full}"],
        "bump": ["Any update on this?", "Hello? I wrote two days ago and still have no answer.",
                 "Just following up — is anyone looking at this?",
                 "Could someone please get back to me? This is getting urgent."],
        "cust_ack": ["OK, thanks. Please keep me posted.", "Thanks — any idea how long this will take?",
                     "Fine, I'll wait for your update."],
        "thanks": ["Thank you!", "All good now, thanks."],
        "reopen": {
            "tech": ["Unfortunately the problem is back. It worked for a day and now it's the same again.",
                     "I have to reopen this — nothing has changed on my side.",
                     "Sorry, but this is not solved. Same issue again this morning."],
            "billing": ["I checked again and the money still isn't back on my card. You said 5 days, it's been over a week.",
                        "The new invoice still shows the same amount, so this isn't fixed."],
            "general": ["Sorry, but the change still hasn't taken effect.",
                        "I checked — everything is still the same as before."],
        },
        "reopen_fix": ["Sorry that the issue came back, and thanks for letting us know.",
                       "Apologies — I checked everything again; the change wasn't saved properly the first time."],
        "close_ok": ["Great to hear that! I'll mark the ticket as solved. If anything else comes up, just reply to this message.",
                     "Thanks for confirming. I'm closing the ticket now — have a good day!"],
        "esc_public": "I've passed your case to our {team} specialists — they have more tools to look into this. "
                      "They will contact you directly, usually within one business day.",
        "hold_public": {
            "tech": "I've booked a technician visit on {day} between 9:00 and 13:00. The technician will call about "
                    "30 minutes before arriving. I'll keep this ticket open until the visit is done.",
            "billing": "I've forwarded your case to our accounting department so they can check it with the bank. "
                       "This usually takes 3–5 business days; the ticket stays on hold until we hear back and I'll update you right away.",
            "general": "We're waiting for confirmation from our partner. I'll update you as soon as I hear back — "
                       "no action is needed from your side in the meantime.",
        },
        "ask_more": {
            "tech": "Thanks! One more thing: could you tell me when someone will be at home in the next few days? "
                    "If the line test doesn't show the cause, we'll need to send a technician.",
            "billing": "Thank you. To complete the request I need to verify the account holder — please reply with the "
                       "contract holder's date of birth and confirm the amount and date shown on your bank statement.",
            "general": "Thanks for the details. Could you also confirm the phone number we should use to reach you, "
                       "in case we need to clarify anything?",
        },
        "phone_followup": "Thank you for your call. As promised, here is a short written summary:",
        "csat": {
            5: ["Quick and friendly, thank you!", "Problem solved in one go. Great service.",
                "Very helpful, explained everything clearly.", "Fast response, much appreciated."],
            4: ["Good help, took a bit longer than I hoped.", "Solved, thanks. The first reply was a bit generic.",
                "Fine overall."],
            3: ["It's fixed, but I had to explain everything twice.", "OK, but it took almost a week.",
                "Solved, but nobody called me back as promised."],
            2: ["Took far too long and I had to chase you several times.",
                "The technician was late and the problem came back once."],
            1: ["Terrible. Three days without internet and only template answers.",
                "Still not happy with how this was handled. Considering switching provider."],
        },
    },
    "ru": {
        "greet": ["Здравствуйте, {first}!", "Добрый день, {first}!"],
        "signoff": ["С уважением,\n{agent}", "С уважением,\n{agent}\nСлужба поддержки Baltic Net",
                    "Хорошего дня!\n{agent}"],
        "cust_sign": ["\n\nСпасибо,\n{first}", "\n\n{full}", "\n\nС уважением,\n{full}"],
        "bump": ["Есть какие-нибудь новости?", "Здравствуйте, я писал⟨|а⟩ два дня назад, ответа до сих пор нет.",
                 "Кто-нибудь занимается моим вопросом?", "Ответьте, пожалуйста, это уже срочно."],
        "cust_ack": ["Хорошо, спасибо. Держите меня в курсе.", "Спасибо. А сколько примерно это займёт?",
                     "Ладно, жду от вас новостей."],
        "thanks": ["Спасибо!", "Всё работает, спасибо."],
        "reopen": {
            "tech": ["К сожалению, проблема вернулась. День всё работало, а сейчас опять то же самое.",
                     "Вынужден⟨|а⟩ снова написать — ничего не изменилось.",
                     "Извините, но проблема не решена. Сегодня утром опять то же самое."],
            "billing": ["Проверил⟨|а⟩ ещё раз — деньги на карту так и не пришли. Вы говорили 5 дней, прошла уже неделя.",
                        "В новом счёте всё та же сумма, так что вопрос не решён."],
            "general": ["Извините, но изменения так и не вступили в силу.",
                        "Я проверил⟨|а⟩ — всё осталось как было."],
        },
        "reopen_fix": ["Извините, что проблема вернулась, и спасибо, что сообщили.",
                       "Приносим извинения — я ещё раз всё проверил⟨|а⟩: в первый раз изменение не сохранилось."],
        "close_ok": ["Рады, что всё работает! Я отмечу обращение как решённое. Если появятся вопросы, просто ответьте на это письмо.",
                     "Спасибо за подтверждение. Закрываю обращение — хорошего дня!"],
        "esc_public": "Я передал⟨|а⟩ ваше обращение специалистам {team}: у них больше возможностей для проверки. "
                      "Они свяжутся с вами напрямую, обычно в течение одного рабочего дня.",
        "hold_public": {
            "tech": "Я записал⟨|а⟩ визит техника {day} с 9:00 до 13:00. Техник позвонит примерно за 30 минут до приезда. "
                    "Обращение останется открытым до окончания визита.",
            "billing": "Я передал⟨|а⟩ ваш вопрос в бухгалтерию для проверки с банком. Обычно это занимает 3–5 рабочих дней; "
                       "пока мы ждём ответа, обращение будет на удержании, и я сразу сообщу вам новости.",
            "general": "Мы ждём подтверждения от партнёра. Я сообщу вам, как только получу ответ, — "
                       "пока с вашей стороны ничего делать не нужно.",
        },
        "ask_more": {
            "tech": "Спасибо! И ещё: подскажите, когда в ближайшие дни кто-то будет дома? "
                    "Если проверка линии не покажет причину, придётся направить техника.",
            "billing": "Спасибо. Чтобы завершить запрос, нужно подтвердить владельца договора — напишите, пожалуйста, "
                       "дату рождения владельца договора и подтвердите сумму и дату платежа из банковской выписки.",
            "general": "Спасибо за информацию. Подтвердите, пожалуйста, номер телефона, по которому с вами можно связаться, "
                       "если понадобится что-то уточнить.",
        },
        "phone_followup": "Спасибо за звонок! Как и обещал⟨|а⟩, кратко повторяю письменно:",
        "csat": {
            5: ["Спасибо, всё быстро и вежливо!", "Проблему решили с первого раза, отличная работа.",
                "Очень помогли, всё понятно объяснили.", "Быстрый ответ, спасибо большое!"],
            4: ["Помогли, но ответ пришёл не сразу.", "В целом хорошо, спасибо.",
                "Решили, хотя пришлось немного подождать."],
            3: ["Проблему решили, но пришлось всё объяснять два раза.", "Нормально, но ушла почти неделя.",
                "Обещали перезвонить и не перезвонили."],
            2: ["Слишком долго, пришлось несколько раз напоминать.", "Мастер опоздал, а проблема потом вернулась."],
            1: ["Ужасно. Три дня без интернета и одни шаблонные ответы.",
                "Очень недовол⟨ен|ьна⟩, думаю сменить провайдера."],
        },
    },
    "lv": {
        "greet": ["Labdien, {first}!", "Sveiki, {first}!"],
        "signoff": ["Ar cieņu,\n{agent}", "Ar cieņu,\n{agent}\nBaltic Net klientu atbalsts", "Jauku dienu!\n{agent}"],
        "cust_sign": ["\n\nPaldies,\n{first}", "\n\n{full}", "\n\nAr cieņu,\n{full}"],
        "bump": ["Vai ir kādi jaunumi?", "Labdien, rakstīju pirms divām dienām, bet atbildes joprojām nav.",
                 "Vai kāds nodarbojas ar manu jautājumu?", "Lūdzu, atbildiet, tas jau ir steidzami."],
        "cust_ack": ["Labi, paldies. Lūdzu, turiet mani lietas kursā.", "Paldies. Cik ilgi tas apmēram aizņems?",
                     "Labi, gaidīšu ziņas."],
        "thanks": ["Paldies!", "Viss strādā, paldies."],
        "reopen": {
            "tech": ["Diemžēl problēma ir atgriezusies. Dienu viss strādāja, bet tagad atkal tas pats.",
                     "Nākas rakstīt vēlreiz — nekas nav mainījies.",
                     "Atvainojiet, bet problēma nav atrisināta. Šorīt atkal tas pats."],
            "billing": ["Pārbaudīju vēlreiz — nauda kartē tā arī nav atgriezta. Teicāt 5 dienas, bet pagājusi jau nedēļa.",
                        "Jaunajā rēķinā joprojām tā pati summa, tātad jautājums nav atrisināts."],
            "general": ["Atvainojiet, bet izmaiņas tā arī nav stājušās spēkā.",
                        "Pārbaudīju — viss palicis, kā bija."],
        },
        "reopen_fix": ["Atvainojamies, ka problēma atkārtojās, un paldies, ka informējāt.",
                       "Atvainojamies — vēlreiz visu pārbaudīju, un pirmajā reizē izmaiņas netika saglabātas."],
        "close_ok": ["Prieks dzirdēt, ka viss darbojas! Atzīmēšu pieteikumu kā atrisinātu. Ja rodas jautājumi, vienkārši atbildiet uz šo vēstuli.",
                     "Paldies par apstiprinājumu! Slēdzu pieteikumu — jauku dienu!"],
        "esc_public": "Esmu nodev⟨is|usi⟩ Jūsu pieteikumu {team} speciālistiem — viņiem ir vairāk iespēju to pārbaudīt. "
                      "Viņi sazināsies ar Jums tieši, parasti vienas darba dienas laikā.",
        "hold_public": {
            "tech": "Esmu ⟨pieteicis|pieteikusi⟩ tehniķa vizīti {day} no 9:00 līdz 13:00. Tehniķis piezvanīs apmēram "
                    "30 minūtes pirms ierašanās. Pieteikums paliks atvērts līdz vizītes beigām.",
            "billing": "Esmu nodev⟨is|usi⟩ Jūsu jautājumu grāmatvedībai, lai to pārbauda kopā ar banku. Parasti tas aizņem "
                       "3–5 darba dienas; kamēr gaidām atbildi, pieteikums būs gaidīšanas režīmā, un es Jums uzreiz paziņošu jaunumus.",
            "general": "Gaidām apstiprinājumu no partnera. Paziņošu, tiklīdz saņemšu atbildi — pagaidām Jums nekas nav jādara.",
        },
        "ask_more": {
            "tech": "Paldies! Vēl viens jautājums: kad tuvākajās dienās kāds būs mājās? Ja līnijas pārbaude "
                    "neatklās cēloni, būs jānosūta tehniķis.",
            "billing": "Paldies! Lai pabeigtu pieprasījumu, jāapstiprina līguma turētājs — lūdzu, uzrakstiet līguma "
                       "turētāja dzimšanas datumu un apstipriniet maksājuma summu un datumu no bankas izraksta.",
            "general": "Paldies par informāciju! Lūdzu, apstipriniet tālruņa numuru, pa kuru ar Jums sazināties, "
                       "ja būs kas jāprecizē.",
        },
        "phone_followup": "Paldies par zvanu! Kā solīts, īss kopsavilkums rakstiski:",
        "csat": {
            5: ["Paldies, ātri un laipni!", "Problēma atrisināta uzreiz, lielisks serviss.",
                "Ļoti izpalīdzīgi, visu skaidri izskaidroja.", "Ātra atbilde, liels paldies!"],
            4: ["Palīdzēja, bet atbilde nepienāca uzreiz.", "Kopumā labi, paldies.",
                "Atrisināja, gan nācās nedaudz pagaidīt."],
            3: ["Atrisināja, bet visu nācās skaidrot divreiz.", "Normāli, bet aizņēma gandrīz nedēļu.",
                "Solīja atzvanīt, bet neatzvanīja."],
            2: ["Pārāk ilgi, vairākas reizes nācās atgādināt.", "Tehniķis kavējās, un problēma vēlāk atkārtojās."],
            1: ["Briesmīgi. Trīs dienas bez interneta un tikai šablona atbildes.",
                "Esmu ļoti neapmierināt⟨s|a⟩, domāju mainīt pakalpojumu sniedzēju."],
        },
    },
}

CALL_EXTRA = {
    "en": ["Customer was calm, just wants it fixed.", "Customer was upset — promised a written follow-up today.",
           "Identity verified (DOB + address).", "Asked the customer to keep the phone free for a callback."],
    "ru": ["Клиент спокойный, просто хочет решения.", "Клиент расстроен — ⟨обещал|обещала⟩ письменный ответ сегодня.",
           "Личность проверена (дата рождения + адрес).", "⟨Попросил|Попросила⟩ клиента быть на связи для обратного звонка."],
}

HOLD_NOTES = {
    "tech": ["On hold until the technician visit.", "Waiting for the RMA replacement unit from the warehouse.",
             "Waiting for NOC to finish the cabinet repair before re-testing."],
    "billing": ["Waiting for bank confirmation of the transfer (SEPA trace requested).",
                "Waiting for accounting to approve the credit note."],
    "general": ["Waiting for partner confirmation.",
                "Waiting for the contracts team to process the signed form."],
}


# --------------------------------------------------------------------------
# scenario threads
#   s  subjects          o  customer's opening message   r  first agent reply
#   f  customer follow-up x  fix (solving message)       t  customer thanks
#   sp specialist (L2/L3) message after escalation       xe fix used after escalation
#   esc (optional) escalation target overriding the scenario's
# any value may be a string or a list of alternatives
# --------------------------------------------------------------------------

SCENARIOS: dict[str, dict] = {}


def scenario(key, **kw):
    SCENARIOS[key] = kw


scenario(
    "double_charge", category="billing", group="billing", esc=("L3", "Billing Experts"), weight=5,
    prio={"normal": 6, "high": 3, "low": 1}, tags=["payment", "refund", "duplicate", "card"],
    brief="duplicate card charge for the monthly invoice", brief_ru="двойное списание за ежемесячный счёт",
    notes=["Both card transactions confirmed in the payment gateway, same auth code prefix — looks like the processor retry issue again.",
           "Customer has both bank transfer and card auto-pay active; suggested disabling one of them."],
    notes_ru=["Оба списания видны в платёжном шлюзе — похоже на повторную попытку процессора.",
              "У клиента одновременно включены автоплатёж и перевод из интернет-банка."],
    esc_reasons=["Refund above the L1 approval limit, needs a billing specialist.",
                 "Card refund required — L1 cannot issue card refunds."],
    en=[
        dict(s=["Charged twice for {month}", "Duplicate charge of {amount} on my bank statement",
                "You took the monthly fee twice"],
             o=["Hi,\n\nI just checked my bank statement and I see two payments of {amount} to Baltic Net on the same day. "
                "I only have one invoice for {month}, so one of them must be a mistake. My account number is {acct}.\n\n"
                "Can you please refund the second payment?",
                "Hello, your automatic payment ran twice this month — {amount} was taken from my card two times. "
                "Please sort this out, I don't want to be short on money before payday."],
             r="Thank you for letting us know, and sorry for the trouble. I can see both payments of {amount} on account {acct}. "
               "Could you please confirm whether you'd like the extra amount refunded to the card or kept as credit for the next invoice?",
             f=["Refund to the card please.", "Please refund it, I'd rather not keep credit."],
             sp="Hello, I'm from the billing team and have taken over your case. The second charge came from a retry in the "
                "card processor after a timeout, so the bank processed both attempts. I've requested a refund of {amount}; "
                "it should reach your card within 5 business days.",
             x="Good news — the duplicate payment of {amount} has been refunded to your card today. Depending on your bank it can "
               "take 3–5 business days to appear on the statement. Your {month} invoice is marked as paid.",
             xe="The refund of {amount} has been completed on our side and the bank has confirmed the transfer. "
                "Your {month} invoice stays marked as paid. Sorry again for the inconvenience.",
             t=["Great, thank you for the quick help!", "Received the refund today, thanks."]),
        dict(s=["Double payment for one invoice", "Paid the {month} invoice twice"],
             o="Good afternoon. It looks like I paid the {month} invoice twice: once through online banking and then the card "
               "auto-payment also went through. Total {amount2}. Could you refund the extra? I'd prefer that to a credit.",
             r="Thanks for reaching out. I'm checking the payments on your account now. To speed things up, could you send a "
               "screenshot or PDF of the bank statement showing both transactions (you can hide the other lines)?",
             f="Statement attached. Please refund the card payment.",
             sp="Hello, billing team here. I can confirm two separate payments: a bank transfer and a card auto-payment. "
                "I've refunded the card payment of {amount}. Since you pay by bank transfer, shall I switch the card "
                "auto-payment off so this doesn't happen again?",
             x="I've processed the refund of {amount}. You'll see it on your account within a few working days. I've also "
               "switched off the card auto-payment, so from now on only your bank transfer will be used.",
             xe="As agreed, the card auto-payment is now switched off, so only your bank transfer will be used from now on. "
                "The refund of {amount} should already be visible on your card.",
             t=["Perfect, thanks!", "Thank you, that's sorted then."]),
    ],
    ru=[
        dict(s=["Двойное списание за {month}", "С карты дважды списали оплату", "Списали {amount} два раза"],
             o=["Здравствуйте!\n\n⟨Посмотрел|Посмотрела⟩ выписку из банка — с моей карты в один день дважды списали {amount} "
                "в пользу Baltic Net. Счёт за {month} у меня один. Номер договора {acct}.\n\nПрошу вернуть лишнюю оплату.",
                "Добрый день. Автоплатёж в этом месяце сработал два раза, с карты ушло {amount2} вместо {amount}. "
                "Разберитесь, пожалуйста, и верните деньги."],
             r="Спасибо, что сообщили, и извините за неудобства. Я вижу на договоре {acct} два платежа по {amount}. "
               "Подскажите, пожалуйста, вернуть лишнюю сумму на карту или оставить её в счёт следующей оплаты?",
             f=["Верните, пожалуйста, на карту.", "Лучше вернуть деньги, переплата мне не нужна."],
             sp="Здравствуйте, я специалист отдела расчётов, ваше обращение передано мне. Повторное списание произошло из-за "
                "сбоя у платёжного провайдера: после тайм-аута банк провёл обе попытки. Я ⟨оформил|оформила⟩ возврат {amount}, "
                "деньги поступят на карту в течение 5 рабочих дней.",
             x="Лишний платёж {amount} возвращён на вашу карту. В зависимости от банка деньги поступят в течение 3–5 рабочих "
               "дней. Счёт за {month} отмечен как оплаченный.",
             xe="Возврат {amount} с нашей стороны завершён, банк подтвердил перевод. Счёт за {month} остаётся оплаченным. "
                "Ещё раз извините за неудобства.",
             t=["Спасибо большое, деньги пришли!", "Отлично, спасибо за быструю помощь."]),
        dict(s=["Оплата прошла дважды — верните деньги", "Повторный платёж по одному счёту"],
             o="Здравствуйте, похоже, я ⟨оплатил|оплатила⟩ счёт за {month} дважды: сначала через интернет-банк, а потом ещё "
               "прошло автоматическое списание с карты. Всего {amount2}. Хотелось бы получить возврат, а не переплату на следующий месяц.",
             r="Спасибо за обращение! Сейчас проверяю платежи по вашему договору. Чтобы ускорить процесс, пришлите, пожалуйста, "
               "скриншот или выписку из банка, где видны оба списания (остальные строки можно скрыть).",
             f="Выписка во вложении. Верните, пожалуйста, платёж с карты.",
             sp="Здравствуйте, отдел расчётов. Подтверждаю два отдельных платежа: банковский перевод и автоплатёж с карты. "
                "Я ⟨вернул|вернула⟩ платёж с карты на {amount}. Раз вы платите переводом, отключить автоплатёж, чтобы такое не повторилось?",
             x="Я ⟨оформил|оформила⟩ возврат {amount}. Также ⟨отключил|отключила⟩ автоплатёж с карты — теперь будет "
               "использоваться только ваш банковский перевод, так что повторного списания больше не будет.",
             xe="Как договорились, автоплатёж с карты отключён — теперь будет использоваться только ваш банковский перевод. "
                "Возврат {amount} уже должен быть виден на карте.",
             t=["Спасибо, всё понятно.", "Отлично, спасибо!"]),
    ],
    lv=[
        dict(s=["Nauda noņemta divreiz par {month_acc}", "No kartes divas reizes noņemti {amount}",
                "Divreiz samaksāts ikmēneša maksājums"],
             o=["Labdien!\n\nPaskatījos bankas izrakstu — vienā dienā no manas kartes divreiz noņemti {amount} par labu "
                "Baltic Net. Man ir tikai viens rēķins par {month_acc}. Līguma numurs {acct}.\n\nLūdzu, atmaksājiet otro maksājumu.",
                "Sveiki! Šomēnes automātiskais maksājums izpildījās divas reizes, no kartes noņemti {amount2} {amount} vietā. "
                "Lūdzu, sakārtojiet to."],
             r="Paldies, ka informējāt, un atvainojamies par sagādātajām neērtībām. Līgumā {acct} redzu divus maksājumus pa "
               "{amount}. Lūdzu, apstipriniet, vai lieko summu atmaksāt uz karti vai atstāt kā priekšapmaksu nākamajam rēķinam?",
             f=["Lūdzu, atmaksājiet uz karti.", "Labāk atmaksājiet, priekšapmaksa man nav vajadzīga."],
             sp="Labdien! Esmu norēķinu nodaļas speciālist⟨s|e⟩, un Jūsu pieteikums ir nodots man. Atkārtotais maksājums radās "
                "maksājumu apstrādātāja kļūmes dēļ — pēc noildzes banka izpildīja abus mēģinājumus. Esmu noformēj⟨is|usi⟩ "
                "atmaksu {amount} apmērā, nauda tiks ieskaitīta kartē 5 darba dienu laikā.",
             x="Liekais maksājums {amount} apmērā ir atmaksāts uz Jūsu karti. Atkarībā no bankas nauda būs redzama 3–5 darba "
               "dienu laikā. Rēķins par {month_acc} ir atzīmēts kā apmaksāts.",
             xe="Atmaksa {amount} apmērā no mūsu puses ir pabeigta, un banka pārskaitījumu ir apstiprinājusi. Rēķins par "
                "{month_acc} joprojām ir apmaksāts. Vēlreiz atvainojamies par neērtībām.",
             t=["Paldies, nauda jau atpakaļ kontā!", "Lieliski, paldies par ātro palīdzību."]),
        dict(s=["Dubults maksājums par vienu rēķinu", "Divreiz samaksāts {month_gen} rēķins"],
             o="Labdien! Izskatās, ka {month_gen} rēķinu samaksāju divreiz: vispirms internetbankā, un pēc tam vēl nostrādāja "
               "automātiskā kartes apmaksa. Kopā {amount2}. Gribētu saņemt naudu atpakaļ, nevis pārmaksu nākamajam mēnesim.",
             r="Paldies par ziņu! Pašlaik pārbaudu maksājumus Jūsu līgumā. Lai process būtu ātrāks, lūdzu, atsūtiet bankas "
               "izraksta ekrānuzņēmumu, kurā redzami abi maksājumi (pārējās rindas varat aizklāt).",
             f="Izraksts pielikumā. Lūdzu, atmaksājiet kartes maksājumu.",
             sp="Labdien, norēķinu nodaļa. Apstiprinu divus atsevišķus maksājumus: bankas pārskaitījumu un automātisko kartes "
                "apmaksu. Kartes maksājumu {amount} apmērā esmu atmaksāj⟨is|usi⟩. Tā kā maksājat ar pārskaitījumu, vai "
                "atslēgt automātisko kartes apmaksu, lai tas neatkārtotos?",
             x="Esmu noformēj⟨is|usi⟩ atmaksu {amount} apmērā. Esmu arī atslēdz⟨is|usi⟩ automātisko kartes apmaksu, tāpēc "
               "turpmāk tiks izmantots tikai Jūsu bankas pārskaitījums, un nauda divreiz vairs netiks noņemta.",
             xe="Kā vienojāmies, automātiskā kartes apmaksa ir atslēgta, tāpēc turpmāk tiks izmantots tikai Jūsu bankas "
                "pārskaitījums. Atmaksai {amount} apmērā jau vajadzētu būt redzamai kartē.",
             t=["Paldies, viss skaidrs.", "Lieliski, paldies!"]),
    ],
)

scenario(
    "invoice_high", category="billing", group="billing", esc=("L3", "Billing Experts"), weight=7,
    prio={"normal": 7, "low": 3, "high": 1}, tags=["invoice", "charges", "discount"],
    brief="invoice higher than usual", brief_ru="счёт выше обычного",
    notes=["Promo discount ended on the 1st; no expiry notification found in the CRM log.",
           "Technician visit fee booked on the wrong contract — probably the neighbour's flat."],
    notes_ru=["Акционная скидка закончилась, уведомления клиенту в CRM не видно.",
              "Плата за визит техника, похоже, ошибочно начислена на этот договор."],
    esc_reasons=["Customer disputes a charge above the L1 credit limit.",
                 "Invoice correction needs a credit note — billing approval required."],
    en=[
        dict(s=["Why is my {month} invoice so high?", "Invoice higher than usual", "Bill went up without any warning"],
             o=["Hello,\n\nMy invoice for {month} is {amount2}, but I normally pay {amount}. I haven't changed anything in my "
                "plan. Could you explain what the extra charges are?",
                "Good morning, I got the {month} invoice and it's almost double the usual. Account {acct}. What happened?"],
             r="Thanks for your message. I've looked at the invoice: the difference comes from your promotional discount ending "
               "on the 1st, so part of the month is billed at the standard price of your {plan} plan. I can check whether "
               "you're eligible for a new offer. Would you like me to?",
             f="Yes please, check the offer. I didn't get any notice that the discount was ending.",
             sp="Hello, I'm from the billing team. The promotional price did end after 12 months, but the reminder e-mail "
                "bounced, so you were never notified. Because of that I've kept the promotional price for another 3 months "
                "and will credit the difference for {month}.",
             x="I've applied a 12-month loyalty discount, so from next month you'll pay {amount} again. I've also added a "
               "one-time credit for the difference on the {month} invoice — you'll see it on the next bill.",
             xe="The credit note for {month} has been issued and your promotional price is extended for 3 months. "
                "You'll see both changes on your next invoice.",
             t=["Thank you, that's fair.", "OK, thanks for sorting it out."]),
        dict(s=["Unexpected charge on my bill", "What is the \"one-off service fee\"?", "Extra {amount} on this month's invoice"],
             o="Hi, this month's bill has a line called \"one-off service fee\" that I don't recognise. "
               "I didn't order anything. Please explain or remove it.",
             r="Thank you for getting in touch. I can see a one-off fee on the invoice for a technician visit. Could you "
               "confirm whether a technician came to your address recently? If not, I'll have it removed.",
             f="No technician came to us, we never asked for one.",
             sp="Hello, billing team here. I've checked the work order: the visit was for a different flat in your building "
                "and the fee was posted to your account by mistake. I've removed it.",
             x="You're right — the visit fee was added to your account by mistake. I've issued a credit note and the "
               "corrected invoice is now in My Baltic Net. Sorry for the confusion.",
             xe="The corrected invoice without the visit fee is now available in My Baltic Net. Sorry for the confusion.",
             t=["OK, thanks for fixing it.", "Thanks, the new invoice looks right."]),
    ],
    ru=[
        dict(s=["Почему такой большой счёт за {month}?", "Счёт больше обычного", "НЕПРАВИЛЬНАЯ СУММА СЧЁТА!!!"],
             o=["Здравствуйте!\n\nСчёт за {month} пришёл на {amount2}, хотя обычно я плачу {amount}. В тарифе ничего не "
                "⟨менял|меняла⟩. Объясните, пожалуйста, за что начислена разница?",
                "Здравствуйте, ⟨получил|получила⟩ счёт за {month} — почти в два раза больше обычного. Договор {acct}. Что случилось?"],
             r="Спасибо за обращение. Я ⟨посмотрел|посмотрела⟩ счёт: разница возникла из-за того, что с 1-го числа закончилась "
               "ваша акционная скидка, и часть месяца посчитана по стандартной цене тарифа {plan}. Могу проверить, доступно "
               "ли вам новое предложение. Проверить?",
             f="Да, проверьте, пожалуйста. Меня никто не предупредил, что скидка заканчивается.",
             sp="Здравствуйте, я из отдела расчётов. Акционная цена действительно закончилась через 12 месяцев, но письмо с "
                "напоминанием до вас не дошло. Поэтому я ⟨сохранил|сохранила⟩ акционную цену ещё на 3 месяца и верну разницу за {month}.",
             x="Я ⟨подключил|подключила⟩ вам скидку лояльности на 12 месяцев, со следующего месяца вы снова будете платить "
               "{amount}. Разницу за {month} мы вернём кредитом — она будет учтена в следующем счёте.",
             xe="Кредит за {month} оформлен, акционная цена продлена на 3 месяца. Оба изменения вы увидите в следующем счёте.",
             t=["Спасибо, так честно.", "Хорошо, спасибо, что разобрались."]),
        dict(s=["Непонятные начисления в счёте", "Что за «разовая плата за услугу»?", "Лишние {amount} в СЧЁТЕ за этот месяц"],
             o="Добрый день. В этом счёте есть строка «разовая плата за услугу», я ничего не ⟨заказывал|заказывала⟩. "
               "Прошу объяснить или убрать.",
             r="Спасибо, что написали. В счёте действительно есть разовая плата за визит техника. Подскажите, приходил ли к "
               "вам недавно техник? Если нет, я уберу это начисление.",
             f="Нет, никакой техник к нам не приходил, мы его не вызывали.",
             sp="Здравствуйте, отдел расчётов. Я ⟨проверил|проверила⟩ наряд: визит был в другую квартиру вашего дома, а "
                "плата по ошибке попала на ваш договор. Начисление я ⟨убрал|убрала⟩.",
             x="Вы правы — плата за визит была начислена ошибочно. Я ⟨оформил|оформила⟩ кредитовый счёт, исправленный счёт "
               "уже доступен в личном кабинете. Извините за путаницу.",
             xe="Исправленный счёт без платы за визит уже доступен в личном кабинете. Извините за путаницу.",
             t=["Хорошо, спасибо, что исправили.", "Спасибо, теперь сумма правильная."]),
    ],
    lv=[
        dict(s=["Kāpēc {month_gen} rēķins ir tik liels?", "Rēķins lielāks nekā parasti", "Rēķins pieaudzis bez brīdinājuma"],
             o=["Labdien!\n\nRēķins par {month_acc} ir {amount2}, lai gan parasti maksāju {amount}. Tarifu neesmu "
                "mainīj⟨is|usi⟩. Lūdzu, paskaidrojiet, par ko ir šī starpība?",
                "Labrīt! Saņēmu {month_gen} rēķinu — tas ir gandrīz divreiz lielāks nekā parasti. Līgums {acct}. Kas noticis?"],
             r="Paldies par ziņu! Apskatīju rēķinu: starpība radusies, jo no 1. datuma beidzās Jūsu akcijas atlaide, un daļa "
               "mēneša aprēķināta pēc tarifa {plan} standarta cenas. Varu pārbaudīt, vai Jums pienākas jauns piedāvājums. Vai pārbaudīt?",
             f="Jā, lūdzu, pārbaudiet. Neviens mani nebrīdināja, ka atlaide beidzas.",
             sp="Labdien! Esmu no norēķinu nodaļas. Akcijas cena tiešām beidzās pēc 12 mēnešiem, taču atgādinājuma e-pasts "
                "Jūs nesasniedza. Tāpēc esmu saglabāj⟨is|usi⟩ akcijas cenu vēl uz 3 mēnešiem un atgriezīšu starpību par {month_acc}.",
             x="Esmu pieslēdz⟨is|usi⟩ Jums lojalitātes atlaidi uz 12 mēnešiem, tāpēc no nākamā mēneša atkal maksāsiet "
               "{amount}. Starpību par {month_acc} atgriezīsim kā kredītu — tā tiks ieskaitīta nākamajā rēķinā.",
             xe="Kredītrēķins par {month_acc} ir izrakstīts, un akcijas cena pagarināta uz 3 mēnešiem. Abas izmaiņas "
                "redzēsiet nākamajā rēķinā.",
             t=["Paldies, tas ir godīgi.", "Labi, paldies, ka sakārtojāt."]),
        dict(s=["Nesaprotami maksājumi rēķinā", "Kas ir \"vienreizēja maksa par pakalpojumu\"?",
                "Papildu {amount} šī mēneša rēķinā"],
             o="Sveiki! Šī mēneša rēķinā ir rinda \"vienreizēja maksa par pakalpojumu\", bet es neko neesmu "
               "pasūtīj⟨is|usi⟩. Lūdzu, paskaidrojiet vai noņemiet to.",
             r="Paldies, ka sazinājāties! Rēķinā tiešām ir vienreizēja maksa par tehniķa vizīti. Lūdzu, apstipriniet, vai pie "
               "Jums nesen bija tehniķis? Ja nē, es šo maksu noņemšu.",
             f="Nē, pie mums neviens tehniķis nebija, mēs viņu neizsaucām.",
             sp="Labdien, norēķinu nodaļa. Pārbaudīju darba uzdevumu: vizīte bija citā dzīvoklī Jūsu mājā, un maksa kļūdas "
                "pēc tika pievienota Jūsu līgumam. Esmu to noņēm⟨is|usi⟩.",
             x="Jums taisnība — maksa par vizīti tika pievienota kļūdas pēc. Esmu noformēj⟨is|usi⟩ kredītrēķinu, un labotais "
               "rēķins jau ir pieejams portālā \"Mans Baltic Net\". Atvainojamies par pārpratumu.",
             xe="Labotais rēķins bez maksas par vizīti jau ir pieejams portālā \"Mans Baltic Net\". Atvainojamies par pārpratumu.",
             t=["Labi, paldies, ka izlabojāt.", "Paldies, tagad summa ir pareiza."]),
    ],
)

scenario(
    "payment_missing", category="billing", group="billing", esc=("L3", "Billing Experts"), weight=6,
    prio={"normal": 5, "high": 4, "urgent": 1}, tags=["payment", "debt", "suspension", "banktransfer"],
    brief="payment made but not visible on the account", brief_ru="оплата сделана, но не отражается на договоре",
    notes=["Payment found in the unmatched queue — the reference had one digit wrong.",
           "Service restored for 72h via grace flag while the payment is traced."],
    notes_ru=["Платёж нашёлся в неопознанных — в назначении ошибка в одной цифре.",
              "Услуга включена на 72 часа (grace), пока ищем платёж."],
    esc_reasons=["Payment not found in the unmatched queue, needs a bank trace (L3).",
                 "Customer's bank says the transfer completed; needs a SEPA investigation."],
    en=[
        dict(s=["Paid but still showing as overdue", "Payment not showing on my account", "Reminder letter after I already paid"],
             o=["Hello,\n\nI paid the {month} invoice ({amount}) by bank transfer five days ago, but My Baltic Net still says "
                "the invoice is unpaid and today I got a reminder. I have the payment confirmation from the bank.",
                "Good afternoon, I received a debt reminder for {amount}, but the money left my account on time. "
                "Account {acct}. Please check."],
             r="Sorry about this. Bank transfers usually reach us within 1–2 business days, but if the payment reference is "
               "missing or mistyped, the payment can't be matched automatically. Could you send the payment confirmation "
               "(PDF or screenshot) with the date, amount and reference?",
             f="Here's the confirmation. I think I wrote the invoice number with a typo.",
             sp="Hello, I'm a billing specialist and have taken over your case. Your payment reached the collection account "
                "of our partner bank but was parked because of the reference. I've traced it and asked for it to be "
                "credited to your invoice.",
             x="Thank you — I found your payment. It was sitting in unmatched payments because of the reference. I've "
               "assigned it to your invoice, so it now shows as paid, and the reminder fee has been cancelled.",
             xe="The bank has released the payment and it is now assigned to your invoice, which shows as paid. "
                "The reminder fee has been cancelled.",
             t=["Great, thank you for sorting it out so fast.", "Thanks, all clear now."]),
        dict(s=["Internet cut off even though I paid", "Service suspended — invoice is paid!", "Debt reminder, but the invoice is paid"],
             o="Hi, my internet was switched off this morning because of an unpaid invoice. I paid it last week! "
               "Please turn it back on, I work from home.",
             r="Thank you for reaching out, and apologies for the inconvenience. I've temporarily restored your service for "
               "3 days while we look for the payment. Please send us the bank confirmation so we can match it.",
             f="Attached. The reference was my account number, not the invoice number.",
             sp="Hello, I'm a billing specialist. Your bank returned the transfer to the sender's account with the status "
                "\"beneficiary details unclear\", so it never reached your invoice. I've asked the bank to re-route it; in the "
                "meantime your service stays active and no late fee will be charged.",
             x="All sorted: the payment is now linked to your account, the invoice is marked as paid and your service is fully "
               "restored. For future payments please use the invoice number as the reference, or switch on automatic payment.",
             xe="The re-routed payment has arrived and is linked to your invoice, so everything is paid and your service is "
                "fully restored. For future payments please use the invoice number as the reference.",
             t=["Thanks, internet is back.", "Great, thank you."]),
    ],
    ru=[
        dict(s=["Оплата не отображается в личном кабинете", "Не вижу свою оплату за {month}",
                "Пришло напоминание о долге после оплаты"],
             o=["Здравствуйте!\n\nПять дней назад я ⟨оплатил|оплатила⟩ счёт за {month} ({amount}) банковским переводом, но в "
                "личном кабинете счёт до сих пор неоплачен, а сегодня пришло напоминание. Подтверждение оплаты из банка у меня есть.",
                "Здравствуйте, пришло напоминание о задолженности {amount}, хотя деньги ушли вовремя. Договор {acct}. "
                "Проверьте, пожалуйста, куда делась оплата."],
             r="Извините за неудобства. Обычно банковский перевод доходит до нас за 1–2 рабочих дня, но если в назначении "
               "платежа нет номера счёта или в нём ошибка, оплату не удаётся привязать автоматически. Пришлите, пожалуйста, "
               "подтверждение платежа (PDF или скриншот), где видны дата, сумма и назначение.",
             f="Вот подтверждение. Кажется, я ⟨ошибся|ошиблась⟩ в номере счёта.",
             sp="Здравствуйте, я специалист отдела расчётов, ваше обращение передано мне. Ваша оплата дошла до банка-партнёра, "
                "но была отложена из-за назначения платежа. Я ⟨нашёл|нашла⟩ её и ⟨попросил|попросила⟩ зачислить на ваш счёт.",
             x="Спасибо, ваш платёж нашёлся — он лежал в неопознанных из-за назначения платежа. Я ⟨привязал|привязала⟩ его к "
               "вашему счёту, теперь счёт отмечен как оплаченный, а плата за напоминание отменена.",
             xe="Банк зачислил оплату, она привязана к вашему счёту, и счёт отмечен как оплаченный. Плата за напоминание отменена.",
             t=["Отлично, спасибо, что так быстро разобрались.", "Спасибо, теперь всё понятно."]),
        dict(s=["Отключили интернет, хотя я всё ⟨оплатил|оплатила⟩", "Где моя оплата?", "Долг висит, хотя оплата прошла"],
             o="Добрый день, сегодня утром мне отключили интернет за неоплату. Но я ⟨оплатил|оплатила⟩ на прошлой неделе! "
               "Включите, пожалуйста, я работаю из дома.",
             r="Спасибо за обращение и извините за неудобства. Я временно ⟨включил|включила⟩ услугу на 3 дня, пока мы ищем "
               "ваш платёж. Пришлите, пожалуйста, подтверждение из банка, чтобы мы могли его найти.",
             f="Прикрепляю. В назначении платежа я ⟨указал|указала⟩ номер договора, а не номер счёта.",
             sp="Здравствуйте, я специалист отдела расчётов. Ваш банк вернул перевод со статусом «неясные данные получателя», "
                "поэтому оплата не дошла до счёта. Я ⟨запросил|запросила⟩ у банка повторное зачисление; пока идёт проверка, "
                "услуги останутся включёнными, пеня начисляться не будет.",
             x="Всё в порядке: оплата привязана к вашему договору, счёт оплачен, услуги полностью восстановлены. В дальнейшем "
               "указывайте, пожалуйста, в назначении номер счёта или подключите автоплатёж — тогда такого не повторится.",
             xe="Повторно зачисленная оплата поступила и привязана к вашему счёту — всё оплачено, услуги полностью "
                "восстановлены. В дальнейшем указывайте, пожалуйста, в назначении номер счёта.",
             t=["Спасибо, интернет заработал.", "Отлично, спасибо."]),
    ],
    lv=[
        dict(s=["Samaksāju, bet parāds joprojām redzams", "Maksājums nav redzams portālā",
                "Saņēmu atgādinājumu pēc apmaksas"],
             o=["Labdien!\n\nPirms piecām dienām ar bankas pārskaitījumu samaksāju rēķinu par {month_acc} ({amount}), bet "
                "portālā rēķins joprojām ir neapmaksāts, un šodien saņēmu atgādinājumu. Bankas maksājuma apstiprinājums man ir.",
                "Sveiki! Saņēmu atgādinājumu par parādu {amount} apmērā, lai gan nauda tika pārskaitīta laikā. Līgums {acct}. "
                "Lūdzu, pārbaudiet, kur palika maksājums."],
             r="Atvainojamies par neērtībām! Parasti bankas pārskaitījums pie mums nonāk 1–2 darba dienās, bet, ja maksājuma "
               "mērķī nav norādīts rēķina numurs vai tajā ir kļūda, maksājumu nevar piesaistīt automātiski. Lūdzu, atsūtiet "
               "maksājuma apstiprinājumu (PDF vai ekrānuzņēmumu), kurā redzams datums, summa un maksājuma mērķis.",
             f="Lūk, apstiprinājums. Šķiet, kļūdījos rēķina numurā.",
             sp="Labdien! Esmu norēķinu nodaļas speciālist⟨s|e⟩, un Jūsu pieteikums nodots man. Jūsu maksājums nonāca "
                "partnerbankā, bet tika aizturēts maksājuma mērķa dēļ. Esmu to atrad⟨is|usi⟩ un lūdz⟨is|usi⟩ ieskaitīt Jūsu rēķinā.",
             x="Paldies, Jūsu maksājums ir atrasts — tas bija nepiesaistīto maksājumu sarakstā maksājuma mērķa dēļ. Esmu to "
               "piesaistīj⟨is|usi⟩ Jūsu rēķinam, tagad rēķins ir apmaksāts, un maksa par atgādinājumu ir atcelta.",
             xe="Banka ir ieskaitījusi maksājumu, tas piesaistīts Jūsu rēķinam, un rēķins ir apmaksāts. Maksa par atgādinājumu atcelta.",
             t=["Lieliski, paldies par ātro palīdzību.", "Paldies, tagad viss skaidrs."]),
        dict(s=["Atslēgts internets, lai gan rēķins apmaksāts", "Kur pazuda mans maksājums par {month_acc}?",
                "Pakalpojums apturēts, bet rēķinu samaksāju"],
             o="Labdien, šorīt man atslēdza internetu par neapmaksātu rēķinu. Bet es samaksāju pagājušajā nedēļā! "
               "Lūdzu, pieslēdziet atpakaļ, es strādāju no mājām.",
             r="Paldies, ka sazinājāties, un atvainojamies par neērtībām! Esmu uz laiku atjaunoj⟨is|usi⟩ pakalpojumu uz 3 "
               "dienām, kamēr meklējam Jūsu maksājumu. Lūdzu, atsūtiet bankas apstiprinājumu, lai varam to atrast.",
             f="Pielikumā. Maksājuma mērķī norādīju līguma numuru, nevis rēķina numuru.",
             sp="Labdien! Esmu norēķinu nodaļas speciālist⟨s|e⟩. Jūsu banka atgrieza pārskaitījumu ar statusu \"neskaidri "
                "saņēmēja dati\", tāpēc maksājums nenonāca līdz rēķinam. Esmu lūdz⟨is|usi⟩ bankai to ieskaitīt atkārtoti; "
                "kamēr notiek pārbaude, pakalpojumi paliks ieslēgti, un nokavējuma procenti netiks aprēķināti.",
             x="Viss kārtībā: maksājums piesaistīts Jūsu līgumam, rēķins apmaksāts, un pakalpojumi pilnībā atjaunoti. "
               "Turpmāk, lūdzu, maksājuma mērķī norādiet rēķina numuru vai pieslēdziet automātisko apmaksu — tad tas vairs neatkārtosies.",
             xe="Atkārtoti ieskaitītais maksājums ir saņemts un piesaistīts Jūsu rēķinam — viss apmaksāts, un pakalpojumi "
                "pilnībā atjaunoti. Turpmāk, lūdzu, maksājuma mērķī norādiet rēķina numuru.",
             t=["Paldies, internets atkal strādā.", "Lieliski, paldies."]),
    ],
)

scenario(
    "refund", category="billing", group="billing", esc=("L3", "Billing Experts"), weight=4,
    prio={"normal": 6, "low": 3, "high": 1}, tags=["refund", "credit", "iban"],
    brief="refund of a credit balance", brief_ru="возврат переплаты",
    notes=["Credit balance confirmed, refund form F-12 filled in.", "Old IBAN in CRM was closed — the previous transfer bounced."],
    notes_ru=["Переплата подтверждена, заполнена форма возврата F-12.", "Старый IBAN в CRM закрыт, прошлый перевод вернулся."],
    esc_reasons=["Refund above 50 EUR requires L3 approval.", "Previous refund bounced, needs a manual re-issue by billing."],
    en=[
        dict(s=["Refund of overpayment", "Credit balance after cancelling", "Refund request – account {acct}"],
             o="Hello,\n\nI cancelled my contract last month and my final invoice shows a credit balance of {amount}. How do I "
               "get this money back? My IBAN is LV80BANK0000435195001.",
             r="Thank you for your message. I can confirm a credit balance of {amount} on account {acct}. For security reasons "
               "we need the refund request from the account holder: please confirm the IBAN and the name of the bank account owner.",
             f="The account holder is me, IBAN LV80BANK0000435195001, same name as on the contract.",
             sp="Hello, I'm from the billing team. Refunds above 50 EUR need a second approval, which I've now completed. "
                "The transfer of {amount} will be sent with today's payment run.",
             x="The refund of {amount} has been sent to your bank account today. It normally arrives within 1–3 business days.",
             xe="The transfer of {amount} has left our account today and normally arrives within 1–3 business days.",
             t=["Money received, thank you.", "Thanks, got it."]),
        dict(s=["When will I get my money back?", "Please return the {amount} you promised", "Still waiting for my refund"],
             o="Good day, it's been three weeks since you promised a refund of {amount} and I still haven't received anything.",
             r="Thanks for getting in touch. I checked your account and the refund of {amount} was approved, but it seems it "
               "was sent to an old bank account. Could you confirm your current IBAN?",
             f="Current IBAN is LV41BANK0000120098765. Please use this one.",
             sp="Hello, billing team here. The first transfer was returned because the old account is closed. I've re-issued "
                "the refund of {amount} to your new IBAN and approved it myself, so it goes out today.",
             x="I've sent the refund of {amount} to the new IBAN. You should see it in your account within three business "
               "days. Sorry it took so long.",
             xe="The re-issued refund of {amount} has been sent to your new IBAN and should arrive within three business "
                "days. Sorry it took so long.",
             t=["Finally, thanks.", "Received it today, thank you."]),
    ],
    ru=[
        dict(s=["Возврат переплаты", "Остаток на счёте после расторжения договора", "Возврат денег по договору {acct}"],
             o="Здравствуйте!\n\nВ прошлом месяце я ⟨расторг|расторгла⟩ договор, и в последнем счёте у меня переплата {amount}. "
               "Как получить эти деньги обратно? Мой IBAN: LV80BANK0000435195001.",
             r="Спасибо за обращение. Подтверждаю, что на договоре {acct} есть переплата {amount}. В целях безопасности заявку "
               "на возврат должен подать владелец договора: пожалуйста, подтвердите IBAN и имя владельца банковского счёта.",
             f="Владелец договора — я, IBAN LV80BANK0000435195001, имя то же, что в договоре.",
             sp="Здравствуйте, я из отдела расчётов. Возвраты свыше 50 евро требуют второго подтверждения — я его "
                "⟨оформил|оформила⟩. Перевод на {amount} уйдёт с сегодняшней платёжной партией.",
             x="Возврат {amount} сегодня отправлен на ваш банковский счёт. Обычно деньги приходят в течение 1–3 рабочих дней.",
             xe="Перевод на {amount} сегодня отправлен, обычно деньги приходят в течение 1–3 рабочих дней.",
             t=["Деньги ⟨получил|получила⟩, спасибо.", "Спасибо, всё пришло."]),
        dict(s=["Когда вернёте деньги?", "Прошу вернуть {amount}", "До сих пор жду возврат"],
             o="Здравствуйте, уже три недели назад мне обещали вернуть {amount}, но деньги так и не пришли.",
             r="Спасибо, что написали. Я ⟨проверил|проверила⟩: возврат {amount} был одобрен, но, похоже, деньги ушли на старый "
               "банковский счёт. Подтвердите, пожалуйста, ваш актуальный IBAN.",
             f="Актуальный IBAN: LV41BANK0000120098765, пожалуйста, используйте его.",
             sp="Здравствуйте, отдел расчётов. Первый перевод вернулся, потому что старый счёт закрыт. Я заново "
                "⟨оформил|оформила⟩ возврат {amount} на новый IBAN и сразу его ⟨подтвердил|подтвердила⟩, деньги уйдут сегодня.",
             x="Я ⟨отправил|отправила⟩ {amount} на новый IBAN. Деньги поступят в течение трёх рабочих дней. Извините, что так долго.",
             xe="Повторный возврат {amount} отправлен на новый IBAN и поступит в течение трёх рабочих дней. Извините, что так долго.",
             t=["Наконец-то, спасибо.", "Сегодня пришли, спасибо."]),
    ],
    lv=[
        dict(s=["Pārmaksas atmaksa", "Atlikums pēc līguma laušanas", "Naudas atmaksa līgumam {acct}"],
             o="Labdien!\n\nPagājušajā mēnesī lauzu līgumu, un pēdējā rēķinā man ir pārmaksa {amount} apmērā. Kā varu "
               "saņemt šo naudu atpakaļ? Mans IBAN: LV80BANK0000435195001.",
             r="Paldies par ziņu! Apstiprinu, ka līgumā {acct} ir pārmaksa {amount} apmērā. Drošības nolūkos atmaksas "
               "pieprasījums jāiesniedz līguma turētājam: lūdzu, apstipriniet IBAN un bankas konta īpašnieka vārdu.",
             f="Līguma turētāj⟨s|a⟩ esmu es, IBAN LV80BANK0000435195001, vārds tāds pats kā līgumā.",
             sp="Labdien! Esmu no norēķinu nodaļas. Atmaksām virs 50 eiro nepieciešams otrs apstiprinājums — esmu to "
                "noformēj⟨is|usi⟩. Pārskaitījums {amount} apmērā tiks nosūtīts ar šodienas maksājumiem.",
             x="Atmaksa {amount} apmērā šodien ir nosūtīta uz Jūsu bankas kontu. Parasti nauda tiek ieskaitīta 1–3 darba dienu laikā.",
             xe="Pārskaitījums {amount} apmērā šodien ir nosūtīts, parasti nauda tiek ieskaitīta 1–3 darba dienu laikā.",
             t=["Nauda saņemta, paldies.", "Paldies, viss pienāca."]),
        dict(s=["Kad atgriezīsiet naudu?", "Lūdzu atmaksāt {amount}", "Joprojām gaidu atmaksu"],
             o="Sveiki! Jau pirms trim nedēļām solījāt atmaksāt {amount}, bet nauda joprojām nav saņemta.",
             r="Paldies, ka sazinājāties! Pārbaudīju — atmaksa {amount} apmērā bija apstiprināta, bet, šķiet, nauda tika "
               "nosūtīta uz veco bankas kontu. Lūdzu, apstipriniet savu pašreizējo IBAN.",
             f="Pašreizējais IBAN: LV41BANK0000120098765, lūdzu, izmantojiet to.",
             sp="Labdien, norēķinu nodaļa. Pirmais pārskaitījums atgriezās, jo vecais konts ir slēgts. Esmu no jauna "
                "noformēj⟨is|usi⟩ atmaksu {amount} apmērā uz jauno IBAN un uzreiz to apstiprināj⟨is|usi⟩, nauda tiks nosūtīta šodien.",
             x="Esmu nosūtīj⟨is|usi⟩ {amount} uz jauno IBAN. Nauda tiks ieskaitīta trīs darba dienu laikā. Atvainojamies, "
               "ka tas aizņēma tik ilgu laiku.",
             xe="Atkārtotā atmaksa {amount} apmērā nosūtīta uz jauno IBAN un tiks ieskaitīta trīs darba dienu laikā. "
                "Atvainojamies, ka tas aizņēma tik ilgu laiku.",
             t=["Beidzot, paldies.", "Šodien pienāca, paldies."]),
    ],
)

scenario(
    "no_internet", category="connectivity", group="tech", esc=("L2", "Technical"), weight=8,
    prio={"high": 5, "urgent": 2, "normal": 3}, tags=["nointernet", "connectivity", "fiber", "router"],
    brief="no internet connection at all", brief_ru="полностью нет интернета",
    notes=["Line test: ONT offline, last seen 06:52. No alarms on the OLT port.",
           "Optical level -29 dBm at the ONT, threshold is -27 dBm."],
    notes_ru=["Тест линии: ONT не в сети, аварий на порту OLT нет.", "Оптический уровень −29 дБм, порог −27."],
    esc_reasons=["ONT offline with a low optical level, needs L2 line diagnostics.",
                 "Basic troubleshooting done, still no sync — possible fibre fault."],
    en=[
        dict(s=["No internet since this morning", "Connection down at {address}", "Internet dead again"],
             o=["Hi,\n\nWe've had no internet since about 7 this morning. The router is on, but the internet light is red. "
                "I've already switched it off and on twice. Address: {address}.",
                "Our connection has been down since yesterday evening. I restarted everything and checked the cables. Nothing helps."],
             r="Sorry to hear you're without internet. I ran a line check from our side: your router is offline and we don't "
               "see a signal from your fibre box. Could you please check that the green cable between the wall socket and "
               "the router is firmly plugged in at both ends, and tell me which lights are on?",
             f="The cable was fine. The PON light is blinking red. Photo attached.",
             sp="Hello, I'm from the technical team. The line diagnostics show an optical signal level of −29 dBm at your "
                "router, which is too low, so the connection keeps failing. This points to a damaged fibre patch cable or a "
                "dirty connector. I'd like to send a technician — would {day} between 9:00 and 13:00 suit you?",
             x="Thanks for the photo. The blinking PON light meant the optical signal was too weak — we found a fault at the "
               "distribution box in your building and our technician fixed it this afternoon. Your router is back online and "
               "the line check looks good. Everything should work on your side now.",
             xe="The technician replaced the damaged patch cable and cleaned the connector; the optical level is now −19 dBm, "
                "well within the normal range. Your router has been online without interruptions since the visit.",
             t=["Yes, it's working again. Thank you!", "All good now, thanks a lot."]),
        dict(s=["Internet not working at all", "No internet – working from home, please help", "Wi-Fi is there but no internet"],
             o="Hello, internet stopped working an hour ago. None of our devices can open anything even though the Wi-Fi is "
               "there. I have a video call at 3, please help!",
             r="Thank you for contacting us. There is no known outage at {address}. Please unplug the router from power for "
               "30 seconds, plug it back in and wait about 3 minutes. If the internet light is still red, reply with a photo "
               "of the router and we'll continue from there.",
             f="Did the restart, still red. Photo attached.",
             sp="Hello, technical team here. Your port on our access equipment got stuck after last night's firmware upgrade, "
                "so your router couldn't authenticate. I'm resetting the port and re-provisioning the router now — please "
                "check again in about 10 minutes.",
             x="We've reset your port on our side and re-provisioned the router. It's online again and I can see normal "
               "traffic. If anything drops again, just reply here.",
             xe="Your router has been online since the port reset and the traffic looks normal. If anything drops again, "
                "just reply here and we'll pick it up straight away.",
             t=["Works now, thank you — just in time for my call!", "Yes, all good, thanks."]),
    ],
    ru=[
        dict(s=["С утра нет интернета", "Нет подключения по адресу {address}", "Опять пропал интернет"],
             o=["Здравствуйте!\n\nС семи утра у нас нет интернета. Роутер включён, но лампочка интернета горит красным. "
                "Я уже два раза ⟨выключал|выключала⟩ и ⟨включал|включала⟩ его. Адрес: {address}.",
                "Со вчерашнего вечера нет интернета. Всё ⟨перезагрузил|перезагрузила⟩, кабели ⟨проверил|проверила⟩. Ничего не помогает."],
             r="Сожалеем, что вы остались без интернета. Я ⟨проверил|проверила⟩ линию со своей стороны: роутер не в сети, "
               "сигнала от оптического терминала мы не видим. Проверьте, пожалуйста, что зелёный кабель между розеткой и "
               "роутером плотно вставлен с обеих сторон, и напишите, какие лампочки горят.",
             f="Кабель в порядке. Лампочка PON мигает красным. Фото прикрепляю.",
             sp="Здравствуйте, я из технического отдела. Диагностика линии показывает уровень оптического сигнала −29 дБм "
                "на вашем роутере — это слишком мало, поэтому соединение постоянно обрывается. Скорее всего, повреждён "
                "оптический шнур или загрязнён разъём. Предлагаю визит техника — вам удобно {day} с 9:00 до 13:00?",
             x="Спасибо за фото. Мигающий PON означал, что оптический сигнал слишком слабый: мы нашли неисправность в "
               "распределительной коробке в вашем доме, и сегодня днём техник её устранил. Роутер снова в сети, проверка "
               "линии в норме — у вас всё должно работать.",
             xe="Техник заменил повреждённый оптический шнур и почистил разъём; уровень сигнала теперь −19 дБм, это норма. "
                "После визита роутер работает без перебоев.",
             t=["Да, всё заработало. Спасибо!", "Теперь всё хорошо, большое спасибо."]),
        dict(s=["Интернет вообще не работает", "Нет интернета, работаю из дома — помогите", "Wi-Fi есть, а интернета нет"],
             o="Добрый день, час назад пропал интернет. Wi-Fi есть, но ни одно устройство не может ничего открыть. В три часа "
               "у меня видеозвонок, помогите, пожалуйста!",
             r="Спасибо за обращение. Аварий по адресу {address} сейчас нет. Отключите, пожалуйста, роутер от питания на 30 "
               "секунд, включите обратно и подождите около 3 минут. Если лампочка интернета останется красной, пришлите фото "
               "роутера, и мы продолжим.",
             f="⟨Перезагрузил|Перезагрузила⟩, всё равно красная. Фото во вложении.",
             sp="Здравствуйте, технический отдел. После ночного обновления прошивки ваш порт на нашем оборудовании завис, "
                "и роутер не мог авторизоваться. Сейчас сбрасываю порт и заново настраиваю роутер — проверьте, пожалуйста, "
                "минут через 10.",
             x="Мы сбросили ваш порт со своей стороны и заново настроили роутер. Он снова в сети, трафик идёт нормально. "
               "Если связь опять пропадёт, просто ответьте на это письмо.",
             xe="После сброса порта роутер в сети, трафик в норме. Если связь снова пропадёт, просто ответьте на это письмо.",
             t=["Заработало, спасибо — как раз к звонку!", "Да, всё хорошо, спасибо."]),
    ],
    lv=[
        dict(s=["Kopš rīta nav interneta", "Nav pieslēguma adresē {address}", "Atkal pazudis internets"],
             o=["Labdien!\n\nKopš septiņiem no rīta mums nav interneta. Maršrutētājs ir ieslēgts, bet interneta lampiņa deg "
                "sarkanā krāsā. Jau divreiz to izslēdzu un ieslēdzu. Adrese: {address}.",
                "Kopš vakardienas vakara nav interneta. Visu restartēju, kabeļus pārbaudīju. Nekas nepalīdz."],
             r="Žēl, ka palikāt bez interneta. Pārbaudīju līniju no mūsu puses: maršrutētājs nav tīklā, un mēs neredzam "
               "signālu no optiskā termināļa. Lūdzu, pārbaudiet, vai zaļais kabelis starp sienas rozeti un maršrutētāju ir "
               "cieši iesprausts abos galos, un uzrakstiet, kuras lampiņas deg.",
             f="Kabelis ir kārtībā. PON lampiņa mirgo sarkanā krāsā. Foto pielikumā.",
             sp="Labdien! Esmu no tehniskās nodaļas. Līnijas diagnostika rāda, ka optiskā signāla līmenis pie Jūsu "
                "maršrutētāja ir −29 dBm, kas ir par maz, tāpēc savienojums pastāvīgi pārtrūkst. Visticamāk, ir bojāts "
                "optiskais vads vai netīrs savienotājs. Piedāvāju tehniķa vizīti — vai Jums der {day} no 9:00 līdz 13:00?",
             x="Paldies par foto! Mirgojošā PON lampiņa nozīmēja, ka optiskais signāls ir par vāju — atradām bojājumu sadales "
               "kārbā Jūsu mājā, un tehniķis to šodien pēcpusdienā novērsa. Maršrutētājs atkal ir tīklā, līnijas pārbaude ir "
               "normāla, tāpēc Jums visam vajadzētu darboties.",
             xe="Tehniķis nomainīja bojāto optisko vadu un notīrīja savienotāju; signāla līmenis tagad ir −19 dBm, kas ir "
                "normāli. Kopš vizītes maršrutētājs darbojas bez pārtraukumiem.",
             t=["Jā, viss atkal strādā. Paldies!", "Tagad viss kārtībā, liels paldies."]),
        dict(s=["Internets vispār nedarbojas", "Nav interneta, strādāju no mājām — palīdziet", "Wi-Fi ir, bet interneta nav"],
             o="Labdien, pirms stundas pazuda internets. Wi-Fi ir, bet neviena ierīce nevar neko atvērt. Pulksten trijos man "
               "ir videozvans, lūdzu, palīdziet!",
             r="Paldies, ka sazinājāties! Adresē {address} pašlaik nav zināmu traucējumu. Lūdzu, atvienojiet maršrutētāju no "
               "strāvas uz 30 sekundēm, pievienojiet atpakaļ un pagaidiet apmēram 3 minūtes. Ja interneta lampiņa joprojām ir "
               "sarkana, atsūtiet maršrutētāja fotoattēlu, un turpināsim.",
             f="Restartēju, joprojām sarkana. Foto pielikumā.",
             sp="Labdien, tehniskā nodaļa. Pēc nakts programmaparatūras atjauninājuma Jūsu ports mūsu iekārtās bija "
                "\"uzkāries\", un maršrutētājs nevarēja autorizēties. Pašlaik atiestatu portu un no jauna konfigurēju "
                "maršrutētāju — lūdzu, pārbaudiet pēc apmēram 10 minūtēm.",
             x="Esam atiestatījuši Jūsu portu no mūsu puses un no jauna konfigurējuši maršrutētāju. Tas atkal ir tīklā, datu "
               "plūsma ir normāla. Ja savienojums atkal pazūd, vienkārši atbildiet uz šo vēstuli.",
             xe="Kopš porta atiestatīšanas maršrutētājs ir tīklā, un datu plūsma ir normāla. Ja savienojums atkal pazūd, "
                "vienkārši atbildiet uz šo vēstuli.",
             t=["Strādā, paldies — tieši laikā zvanam!", "Jā, viss kārtībā, paldies."]),
    ],
)

scenario(
    "slow_speed", category="connectivity", group="tech", esc=("L2", "Technical"), weight=6,
    prio={"normal": 6, "high": 2, "low": 2}, tags=["speed", "connectivity", "wifi"],
    brief="speed much lower than the contracted plan", brief_ru="скорость ниже заявленной",
    notes=["Line profile OK, 1G sync, no CRC errors. Wi-Fi congestion likely (neighbours on ch 36).",
           "Uplink utilisation 95% at peak on the building's access switch."],
    notes_ru=["Профиль линии в норме, ошибок CRC нет. Скорее всего, загружен канал Wi-Fi.",
              "Аплинк коммутатора дома загружен на 95% в часы пик."],
    esc_reasons=["Speed is low on a cable connection as well, possible congestion on the access switch.",
                 "Customer's cable test is below 30% of the plan speed."],
    en=[
        dict(s=["Paying for {plan} but getting {speed}", "Speed test results are terrible", "Wi-Fi speed far below my plan"],
             o=["Hello,\n\nI pay for {plan}, but speed tests show only {speed} — in the evenings it's even worse and streaming "
                "keeps buffering. What can be done?",
                "Good evening. Speedtest on my laptop: {speed} download. That's nowhere near what I pay for. Account {acct}."],
             r="Thanks for the details. Wi-Fi speed depends a lot on distance and walls, so to see what the line itself "
               "delivers, could you run a speed test with a computer connected to the router by cable and send us the result?",
             f="On cable I get about 280 Mbit/s, on Wi-Fi in the living room only {speed}.",
             sp="Hello, technical team here. I scanned the Wi-Fi environment from your router: there are 14 networks around "
                "you on the same channel, which explains the drop. I'll adjust the radio settings tonight in the maintenance "
                "window — please test again tomorrow.",
             x="Thank you. The cable result shows that the line is fine — the bottleneck is Wi-Fi. I've switched your router "
               "to the less crowded 5 GHz channel 44 remotely. For the bedroom I'd recommend a mesh extender; I can add one "
               "to your plan for 2.99 EUR/month if you like.",
             xe="Your router now uses 5 GHz channel 44 with band steering enabled, and the overnight statistics show far fewer "
                "retransmissions. If the bedroom is still weak, a mesh extender is the next step — just let us know.",
             t=["Much better now, thanks!", "Test shows much better numbers. Thank you."]),
        dict(s=["Internet very slow in the evenings", "Slow connection for the past week", "Speed much lower than in my contract"],
             o="Hi, for about a week the internet has been painfully slow, especially in the evenings. Websites take ages to "
               "load. Nothing changed on our side.",
             r="Thank you for reaching out. On our side the line to your router looks stable. Please restart the router, then "
               "run a speed test at speedtest.net next to the router and once more on a cable connection, and send both screenshots.",
             f="Cable test attached — still slow, around {speed}.",
             sp="Hello, technical team here. Looking at your line over the past week: every evening between 19:00 and 23:00 "
                "there is heavy packet loss on the uplink of your building's switch. We've replaced the uplink module this "
                "morning. Could you test tonight and let us know?",
             x="We found a faulty port on the switch serving your building and moved your connection to a new one. Speed "
               "tests from our side now show full speed. If it slows down again, just reply here.",
             xe="Our monitoring has been clean for 48 hours since the module replacement, and tests from our side show full "
                "speed on your line. If it slows down again, just reply here.",
             t=["Yes, it's fast again. Thanks!", "Evening speed is fine now, thank you."]),
    ],
    ru=[
        dict(s=["Плачу за {plan}, а получаю {speed}", "Ужасные результаты теста скорости", "Wi-Fi намного медленнее тарифа"],
             o=["Здравствуйте!\n\nУ меня тариф {plan}, но тест показывает всего {speed}, а вечером ещё хуже — видео постоянно "
                "тормозит. Что можно сделать?",
                "Добрый вечер. Speedtest на ноутбуке: {speed} на загрузку. Это совсем не то, за что я плачу. Договор {acct}."],
             r="Спасибо за подробности. Скорость Wi-Fi сильно зависит от расстояния и стен, поэтому, чтобы понять, что даёт "
               "сама линия, подключите, пожалуйста, компьютер к роутеру кабелем, сделайте тест скорости и пришлите результат.",
             f="По кабелю около 280 Мбит/с, по Wi-Fi в гостиной только {speed}.",
             sp="Здравствуйте, технический отдел. Я ⟨просканировал|просканировала⟩ эфир с вашего роутера: вокруг 14 сетей на "
                "том же канале, отсюда и падение скорости. Сегодня ночью в окно обслуживания я поменяю настройки радио — "
                "проверьте, пожалуйста, завтра.",
             x="Спасибо. Результат по кабелю показывает, что с линией всё в порядке — узкое место в Wi-Fi. Я удалённо "
               "⟨переключил|переключила⟩ роутер на менее загруженный канал 44 в диапазоне 5 ГГц. Для спальни советую "
               "mesh-усилитель — могу добавить его к вашему тарифу за 2,99 € в месяц.",
             xe="Роутер теперь работает на канале 44 (5 ГГц) с включённым band steering, ночная статистика показывает "
                "намного меньше повторных передач. Если в спальне всё ещё слабый сигнал, следующий шаг — mesh-усилитель.",
             t=["Стало намного лучше, спасибо!", "Тест показывает гораздо лучше. Спасибо."]),
        dict(s=["Вечером очень медленный интернет", "Уже неделю медленный интернет", "Скорость намного ниже, чем в договоре"],
             o="Добрый день, примерно неделю интернет ужасно медленный, особенно по вечерам. Сайты грузятся целую вечность. "
               "У нас ничего не менялось.",
             r="Спасибо за обращение. С нашей стороны линия до вашего роутера стабильна. Перезагрузите, пожалуйста, роутер, "
               "затем сделайте тест на speedtest.net рядом с роутером и ещё раз по кабелю и пришлите оба скриншота.",
             f="Тест по кабелю во вложении — всё равно медленно, около {speed}.",
             sp="Здравствуйте, технический отдел. Я ⟨посмотрел|посмотрела⟩ вашу линию за последнюю неделю: каждый вечер с "
                "19:00 до 23:00 на аплинке коммутатора вашего дома большие потери пакетов. Сегодня утром мы заменили модуль. "
                "Проверьте, пожалуйста, вечером и напишите нам.",
             x="Мы нашли неисправный порт на коммутаторе, который обслуживает ваш дом, и перенесли ваше подключение на новый. "
               "Тесты с нашей стороны показывают полную скорость. Если снова станет медленно, просто ответьте на это письмо.",
             xe="После замены модуля мониторинг 48 часов чистый, тесты с нашей стороны показывают полную скорость. Если снова "
                "станет медленно, просто ответьте на это письмо.",
             t=["Да, снова быстро. Спасибо!", "Вечером теперь всё нормально, спасибо."]),
    ],
    lv=[
        dict(s=["Maksāju par {plan}, bet saņemu {speed}", "Briesmīgi ātruma testa rezultāti", "Wi-Fi daudz lēnāks par tarifu"],
             o=["Labdien!\n\nMan ir tarifs {plan}, bet ātruma tests rāda tikai {speed}, un vakaros vēl sliktāk — video visu "
                "laiku raustās. Ko var darīt?",
                "Labvakar! Speedtest klēpjdatorā: {speed} lejupielāde. Tas nepavisam nav tas, par ko maksāju. Līgums {acct}."],
             r="Paldies par informāciju! Wi-Fi ātrums ļoti atkarīgs no attāluma un sienām, tāpēc, lai saprastu, ko nodrošina "
               "pati līnija, lūdzu, pievienojiet datoru maršrutētājam ar kabeli, veiciet ātruma testu un atsūtiet rezultātu.",
             f="Ar kabeli ap 280 Mbit/s, pa Wi-Fi viesistabā tikai {speed}.",
             sp="Labdien, tehniskā nodaļa. Noskenēju Wi-Fi vidi no Jūsu maršrutētāja: apkārt ir 14 tīkli tajā pašā kanālā, "
                "tāpēc ātrums krītas. Šonakt apkopes laikā pielāgošu radio iestatījumus — lūdzu, pārbaudiet rīt vēlreiz.",
             x="Paldies! Rezultāts ar kabeli rāda, ka līnija ir kārtībā — vājā vieta ir Wi-Fi. Attālināti pārslēdzu "
               "maršrutētāju uz mazāk noslogoto 5 GHz kanālu 44. Guļamistabai iesaku mesh pastiprinātāju — varu to pievienot "
               "Jūsu tarifam par 2,99 EUR mēnesī.",
             xe="Maršrutētājs tagad izmanto 5 GHz kanālu 44 ar ieslēgtu joslu vadību, un nakts statistika rāda daudz mazāk "
                "atkārtotu pārraižu. Ja guļamistabā signāls joprojām vājš, nākamais solis ir mesh pastiprinātājs.",
             t=["Tagad daudz labāk, paldies!", "Tests rāda daudz labākus rezultātus. Paldies."]),
        dict(s=["Vakaros ļoti lēns internets", "Jau nedēļu lēns internets", "Ātrums daudz mazāks nekā līgumā"],
             o="Sveiki! Jau apmēram nedēļu internets ir šausmīgi lēns, īpaši vakaros. Lapas ielādējas mūžību. Pie mums nekas "
               "nav mainījies.",
             r="Paldies, ka sazinājāties! No mūsu puses līnija līdz Jūsu maršrutētājam ir stabila. Lūdzu, restartējiet "
               "maršrutētāju, tad veiciet testu speedtest.net blakus maršrutētājam un vēlreiz ar kabeli, un atsūtiet abus ekrānuzņēmumus.",
             f="Testa rezultāts ar kabeli pielikumā — joprojām lēni, ap {speed}.",
             sp="Labdien, tehniskā nodaļa. Apskatīju Jūsu līniju par pēdējo nedēļu: katru vakaru no 19:00 līdz 23:00 Jūsu "
                "mājas komutatora augšupsaitē ir lieli pakešu zudumi. Šorīt nomainījām moduli. Lūdzu, pārbaudiet vakarā un uzrakstiet mums.",
             x="Atradām bojātu portu komutatorā, kas apkalpo Jūsu māju, un pārcēlām Jūsu pieslēgumu uz jaunu portu. Testi no "
               "mūsu puses rāda pilnu ātrumu. Ja atkal kļūst lēni, vienkārši atbildiet uz šo vēstuli.",
             xe="Kopš moduļa nomaiņas monitorings 48 stundas ir tīrs, un testi no mūsu puses rāda pilnu ātrumu. Ja atkal kļūst "
                "lēni, vienkārši atbildiet uz šo vēstuli.",
             t=["Jā, atkal ātri. Paldies!", "Vakaros tagad viss kārtībā, paldies."]),
    ],
)

scenario(
    "router_broken", category="hardware", group="tech", esc=("L2", "Technical"), weight=6,
    prio={"normal": 5, "high": 4, "low": 1}, tags=["router", "hardware", "replacement", "wifi"],
    brief="faulty router (reboots, no power or Wi-Fi drops)", brief_ru="неисправный роутер",
    notes=["7 reboots in 24h, uptime never above 4h. Likely the power supply.",
           "Lightning damage probable — RMA without charge per policy."],
    notes_ru=["7 перезагрузок за сутки, скорее всего блок питания.", "Вероятно, повреждение от грозы — замена бесплатно."],
    esc_reasons=["Router hardware fault, replacement needs L2 approval.", "Reboot loop persists after a factory reset."],
    en=[
        dict(s=["Router keeps restarting", "Router overheating and disconnecting", "Need a replacement router"],
             o="Hello,\n\nOur router restarts by itself several times a day — all the lights go off and come back after a "
               "couple of minutes. It's the router you gave us two years ago.",
             r="Sorry for the trouble. From our logs I can see your router rebooted 7 times in the last 24 hours, which usually "
               "means a hardware fault or a failing power adapter. Is the router standing somewhere enclosed or warm, e.g. in "
               "a cabinet? And do you have another 12V adapter to try?",
             f="It stands on an open shelf. No other adapter. Model HomeBox 6.",
             sp="Hello, technical team here. The router's crash logs show a power supply fault, so I've ordered a replacement "
                "unit (HomeBox 6, dual-band) with courier delivery. Once it arrives, plug it in and it will pick up your "
                "settings automatically. The courier will take the old one back.",
             x="We'll replace your router free of charge. The new one has been sent to the parcel locker you chose — you'll "
               "receive an SMS with the code. Simply plug the new router into the same cables; it configures itself within "
               "5 minutes. Please return the old one in the same box.",
             xe="The new router was delivered and has been online without a single restart since then. The courier will "
                "collect the old unit within a week.",
             t=["New router works great, thanks!", "Got the new router, all fine now."]),
        dict(s=["Router is dead – no lights at all", "Router not turning on after the storm"],
             o="Good morning, after the thunderstorm last night the router doesn't turn on at all. No lights. The power adapter "
               "is plugged in.",
             r="Thanks for letting us know. Could you tell me the model written on the sticker under the router and whether "
               "the power light comes on at all when you press the button on the back?",
             f="No lights at all, model HomeBox 5.",
             sp="Hello, technical team here. This looks like lightning damage, which is covered free of charge. I've booked a "
                "technician with a new router on {day} between 9:00 and 13:00; he'll also check the socket for damage.",
             x="A technician will bring a new router on {day}. Your Wi-Fi name and password will stay the same, so your devices "
               "will reconnect automatically. There is no charge for the replacement.",
             xe="The technician installed the new router and checked the socket — everything is back online. Your Wi-Fi name "
                "and password stayed the same, and there is no charge for the replacement.",
             t=["Thanks, everything works again.", "Great service, thank you."]),
        dict(s=["Wi-Fi drops every few minutes", "Wi-Fi keeps disconnecting on all devices"],
             o="Hi, the Wi-Fi disconnects every few minutes on all our phones and laptops. The wired connection on the TV box "
               "seems fine.",
             r="Thanks for the details — if the wired connection is stable, the problem is in the router's Wi-Fi. How many "
               "devices are usually connected, and where does the router stand?",
             f="About 15 devices, and the router is in a metal cabinet in the hallway.",
             sp="Hello, technical team here. Your HomeBox 5 logs show the Wi-Fi radio crashing under load — a known issue with "
                "this model. I've ordered a free upgrade to the HomeBox 6 (Wi-Fi 6), which will be at your parcel locker in "
                "2 days. Please put it outside the metal cabinet.",
             x="Fifteen devices and a metal cabinet are a lot for the old HomeBox 5. I've ordered a free upgrade to the "
               "HomeBox 6 (Wi-Fi 6); it'll be at your parcel locker in 2 days. Please place it outside the cabinet.",
             xe="The new HomeBox 6 is online and I can see all your devices connected without drops since yesterday. "
                "Please return the old router in the same parcel locker within 14 days.",
             t=["No more drops, thank you!", "Wi-Fi is stable now, thanks."]),
    ],
    ru=[
        dict(s=["Роутер постоянно перезагружается", "Роутер перегревается и отключается", "Нужна замена роутера"],
             o="Здравствуйте!\n\nНаш роутер сам перезагружается несколько раз в день — все лампочки гаснут и через пару минут "
               "загораются снова. Это роутер, который вы нам дали два года назад.",
             r="Извините за неудобства. По нашим логам ваш роутер за последние сутки перезагрузился 7 раз — обычно это говорит "
               "о неисправности самого устройства или блока питания. Роутер стоит в закрытом или тёплом месте, например в "
               "шкафу? Есть ли у вас другой блок питания на 12 В, чтобы попробовать?",
             f="Стоит на открытой полке. Другого блока питания нет. Модель HomeBox 6.",
             sp="Здравствуйте, технический отдел. По журналу сбоев видно, что неисправен блок питания роутера, поэтому я "
                "⟨заказал|заказала⟩ замену (HomeBox 6, двухдиапазонный) с доставкой курьером. Когда он приедет, просто "
                "подключите роутер — настройки подтянутся автоматически. Старый курьер заберёт.",
             x="Мы бесплатно заменим роутер. Новый уже отправлен в выбранный вами пакомат — вы получите SMS с кодом. Просто "
               "подключите новый роутер к тем же кабелям, он настроится сам в течение 5 минут. Старый, пожалуйста, верните в "
               "той же коробке.",
             xe="Новый роутер доставлен и с тех пор работает без единой перезагрузки. Курьер заберёт старое устройство в "
                "течение недели.",
             t=["Новый роутер работает отлично, спасибо!", "⟨Получил|Получила⟩ новый роутер, теперь всё нормально."]),
        dict(s=["Роутер не включается — ни одной лампочки", "После грозы не работает роутер"],
             o="Доброе утро, после вчерашней грозы роутер вообще не включается. Ни одной лампочки. Блок питания в розетке.",
             r="Спасибо, что сообщили. Подскажите, пожалуйста, модель роутера (написана на наклейке снизу) и загорается ли "
               "хотя бы индикатор питания, если нажать кнопку сзади?",
             f="Ни одна лампочка не горит, модель HomeBox 5.",
             sp="Здравствуйте, технический отдел. Похоже на повреждение от молнии — такая замена бесплатна. Я "
                "⟨записал|записала⟩ визит техника с новым роутером {day} с 9:00 до 13:00; он также проверит розетку.",
             x="Техник привезёт новый роутер {day}. Имя и пароль Wi-Fi останутся прежними, поэтому все устройства "
               "подключатся автоматически. Замена бесплатная.",
             xe="Техник установил новый роутер и проверил розетку — всё снова работает. Имя и пароль Wi-Fi остались "
                "прежними, замена бесплатная.",
             t=["Спасибо, всё снова работает.", "Отличный сервис, спасибо."]),
        dict(s=["Wi-Fi отваливается каждые несколько минут", "Wi-Fi постоянно отключается на всех устройствах"],
             o="Добрый день, Wi-Fi отключается каждые несколько минут на всех телефонах и ноутбуках. По кабелю на ТВ-приставке "
               "вроде всё нормально.",
             r="Спасибо за подробности: раз по кабелю всё стабильно, проблема в Wi-Fi роутера. Сколько устройств обычно "
               "подключено и где стоит роутер?",
             f="Около 15 устройств, роутер стоит в металлическом шкафу в прихожей.",
             sp="Здравствуйте, технический отдел. В логах вашего HomeBox 5 видно, что модуль Wi-Fi падает под нагрузкой — "
                "известная проблема этой модели. Я ⟨заказал|заказала⟩ бесплатную замену на HomeBox 6 (Wi-Fi 6), через 2 дня "
                "он будет в пакомате. Поставьте его, пожалуйста, вне металлического шкафа.",
             x="Пятнадцать устройств и металлический шкаф — это слишком много для старого HomeBox 5. Я "
               "⟨заказал|заказала⟩ бесплатную замену на HomeBox 6 (Wi-Fi 6), через 2 дня он будет в пакомате. Поставьте его вне шкафа.",
             xe="Новый HomeBox 6 в сети, со вчерашнего дня все ваши устройства подключены без обрывов. Старый роутер верните, "
                "пожалуйста, через пакомат в течение 14 дней.",
             t=["Больше не отваливается, спасибо!", "Wi-Fi теперь стабильный, спасибо."]),
    ],
    lv=[
        dict(s=["Maršrutētājs pats restartējas", "Maršrutētājs pārkarst un atslēdzas", "Vajadzīgs jauns maršrutētājs"],
             o="Labdien!\n\nMūsu maršrutētājs vairākas reizes dienā pats restartējas — visas lampiņas nodziest un pēc pāris "
               "minūtēm iedegas atkal. Tas ir maršrutētājs, ko jūs mums iedevāt pirms diviem gadiem.",
             r="Atvainojamies par neērtībām! Mūsu žurnālos redzu, ka Jūsu maršrutētājs pēdējās diennakts laikā restartējies "
               "7 reizes — parasti tas nozīmē iekārtas vai barošanas bloka bojājumu. Vai maršrutētājs atrodas slēgtā vai "
               "siltā vietā, piemēram, skapī? Vai Jums ir cits 12 V barošanas bloks, ar ko pamēģināt?",
             f="Stāv uz atvērta plaukta. Cita barošanas bloka nav. Modelis HomeBox 6.",
             sp="Labdien, tehniskā nodaļa. Kļūmju žurnālā redzams, ka bojāts maršrutētāja barošanas bloks, tāpēc esmu "
                "pasūtīj⟨is|usi⟩ nomaiņu (HomeBox 6, divjoslu) ar kurjera piegādi. Kad tas pienāks, vienkārši pievienojiet "
                "maršrutētāju — iestatījumi ielādēsies automātiski. Veco kurjers paņems līdzi.",
             x="Mēs bez maksas nomainīsim maršrutētāju. Jaunais jau ir nosūtīts uz Jūsu izvēlēto pakomātu — saņemsiet "
               "īsziņu ar kodu. Vienkārši pievienojiet jauno maršrutētāju tiem pašiem kabeļiem, tas pats nokonfigurēsies 5 "
               "minūšu laikā. Veco, lūdzu, atgrieziet tajā pašā kastē.",
             xe="Jaunais maršrutētājs ir piegādāts un kopš tā laika darbojas bez neviena restarta. Kurjers veco iekārtu "
                "paņems nedēļas laikā.",
             t=["Jaunais rūteris strādā lieliski, paldies!", "Saņēmu jauno maršrutētāju, tagad viss kārtībā."]),
        dict(s=["Rūteris vispār neieslēdzas", "Pēc negaisa nedarbojas maršrutētājs"],
             o="Labrīt! Pēc vakardienas pērkona negaisa rūteris vispār neieslēdzas. Neviena lampiņa nedeg. Barošanas bloks ir rozetē.",
             r="Paldies, ka informējāt! Lūdzu, uzrakstiet maršrutētāja modeli (tas norādīts uzlīmē apakšpusē) un vai "
               "iedegas vismaz barošanas indikators, ja nospiežat pogu aizmugurē?",
             f="Neviena lampiņa nedeg, modelis HomeBox 5.",
             sp="Labdien, tehniskā nodaļa. Izskatās pēc zibens bojājuma — šāda nomaiņa ir bez maksas. Esmu "
                "⟨pieteicis|pieteikusi⟩ tehniķa vizīti ar jaunu maršrutētāju {day} no 9:00 līdz 13:00; viņš pārbaudīs arī rozeti.",
             x="Tehniķis atvedīs jaunu maršrutētāju {day}. Wi-Fi nosaukums un parole paliks tie paši, tāpēc visas ierīces "
               "pieslēgsies automātiski. Nomaiņa ir bez maksas.",
             xe="Tehniķis uzstādīja jauno maršrutētāju un pārbaudīja rozeti — viss atkal darbojas. Wi-Fi nosaukums un parole "
                "palika tie paši, nomaiņa ir bez maksas.",
             t=["Paldies, viss atkal strādā.", "Lielisks serviss, paldies."]),
        dict(s=["Wi-Fi pazūd ik pēc dažām minūtēm", "Wi-Fi visās ierīcēs pastāvīgi atslēdzas"],
             o="Sveiki! Wi-Fi atslēdzas ik pēc dažām minūtēm visos telefonos un klēpjdatoros. Ar kabeli TV dekoderim šķiet "
               "viss kārtībā.",
             r="Paldies par informāciju! Ja ar kabeli savienojums ir stabils, problēma ir maršrutētāja Wi-Fi. Cik ierīču "
               "parasti ir pieslēgts, un kur atrodas maršrutētājs?",
             f="Apmēram 15 ierīces, un maršrutētājs ir metāla skapī priekšnamā.",
             sp="Labdien, tehniskā nodaļa. Jūsu HomeBox 5 žurnālos redzams, ka Wi-Fi modulis slodzes laikā avarē — tā ir "
                "zināma šī modeļa problēma. Esmu pasūtīj⟨is|usi⟩ bezmaksas nomaiņu uz HomeBox 6 (Wi-Fi 6), pēc 2 dienām tas "
                "būs pakomātā. Lūdzu, novietojiet to ārpus metāla skapja.",
             x="Piecpadsmit ierīces un metāla skapis vecajam HomeBox 5 ir par daudz. Esmu pasūtīj⟨is|usi⟩ bezmaksas nomaiņu "
               "uz HomeBox 6 (Wi-Fi 6), pēc 2 dienām tas būs pakomātā. Lūdzu, novietojiet to ārpus skapja.",
             xe="Jaunais HomeBox 6 ir tīklā, un kopš vakardienas visas Jūsu ierīces ir pieslēgtas bez pārtraukumiem. Veco "
                "maršrutētāju, lūdzu, 14 dienu laikā atgrieziet pakomātā.",
             t=["Vairs neatslēdzas, paldies!", "Wi-Fi tagad stabils, paldies."]),
    ],
)

scenario(
    "outage", category="connectivity", group="tech", esc=("L3", "Network Operations"), weight=4,
    prio={"urgent": 4, "high": 5, "normal": 1}, tags=["outage", "connectivity", "area"],
    brief="area-wide outage", brief_ru="авария в районе",
    notes=["Multiple ONTs offline in the same building, OLT port up. Opened NOC incident INC-{inc}.",
           "Linked to area outage INC-{inc}, crew on site."],
    notes_ru=["Несколько ONT в одном доме не в сети. Открыт инцидент INC-{inc}.",
              "Привязано к аварии INC-{inc}, бригада на месте."],
    esc_reasons=["Multiple customers in one building offline, needs NOC.",
                 "Area outage suspected — 14 ONTs down on the same splitter."],
    en=[
        dict(s=["Is there an outage in {district}?", "Internet and TV down in our area", "Outage again?"],
             o=["Hi,\n\nNobody in our building has internet or TV since around 18:00 — I asked the neighbours. Is there an "
                "outage in {district}? When will it be fixed?",
                "Is there a known outage in {district}? No connection for two hours now and I can't get through on the phone line."],
             r="Thank you for reporting this, and sorry for the disruption. Yes, we have a confirmed outage in {district} "
               "caused by a cable damaged during construction works. Our crew is on site; the current estimate for repair is "
               "4–6 hours. You don't need to do anything — the service will return automatically.",
             f=["Any news? It's still down.", "Thanks. Will we get compensation for the downtime?"],
             sp="Hello, network operations here. The fibre cable was cut by an excavator; our crew is splicing 96 fibres, "
                "which takes time. Current estimate for restoration is tonight by 22:00. We'll post updates here.",
             x="The outage has been fixed — the damaged cable was replaced and all connections in {district} are back online. "
               "Because the service was down for more than 24 hours, a credit of 3 days will appear on your next invoice "
               "automatically. Sorry again for the inconvenience.",
             t=["Everything works again. Thanks for the updates.", "Back online, thanks."]),
        dict(s=["Whole building without internet", "Neighbours also have no connection"],
             o="Hello, internet and TV are both down. The router shows a red light. Neighbours on our floor have the same problem.",
             r="Thanks for letting us know. I can see several routers in your building went offline at the same time, so this "
               "looks like an issue in the building or street equipment. I've reported it to our network team and will "
               "update you here.",
             f="Any news? Still down.",
             sp="Hello, network operations here. The building's distribution cabinet lost power after maintenance work by "
                "the building manager, and the backup battery ran out overnight. A technician is on his way with a new power "
                "module; we expect service back within 3 hours.",
             x="Good news: the power supply in the building's network cabinet was replaced and your connection is back. If "
               "your router still shows a red light, please unplug it for 30 seconds.",
             t=["It's back, thank you!", "Working again, thanks."]),
    ],
    ru=[
        dict(s=["Авария в районе {district}?", "Не работают интернет и ТВ по всему району", "Снова авария?"],
             o=["Здравствуйте!\n\nПримерно с 18:00 во всём доме нет ни интернета, ни телевидения — я "
                "⟨спрашивал|спрашивала⟩ у соседей. Это авария в районе {district}? Когда починят?",
                "Есть ли авария в районе {district}? Уже два часа нет связи, а на горячую линию не дозвониться."],
             r="Спасибо, что сообщили, и извините за неудобства. Да, в районе {district} подтверждённая авария: при "
               "строительных работах повредили кабель. Бригада уже на месте, ориентировочное время ремонта — 4–6 часов. "
               "Ничего делать не нужно — связь восстановится автоматически.",
             f=["Есть новости? Всё ещё не работает.", "Спасибо. А будет ли компенсация за время без связи?"],
             sp="Здравствуйте, сетевой отдел. Оптический кабель перерубил экскаватор; бригада сваривает 96 волокон, это "
                "небыстро. Ориентировочно связь восстановится сегодня к 22:00. Новости будем писать здесь.",
             x="Авария устранена: повреждённый кабель заменили, все подключения в районе {district} снова работают. Так как "
               "услуги не работали больше суток, в следующем счёте автоматически будет учтена компенсация за 3 дня. Ещё раз "
               "извините за неудобства.",
             t=["Всё снова работает. Спасибо за информацию.", "Связь есть, спасибо."]),
        dict(s=["Весь дом без интернета", "У соседей тоже нет связи"],
             o="Добрый вечер, не работают ни интернет, ни ТВ. На роутере горит красная лампочка. У соседей по этажу то же самое.",
             r="Спасибо за информацию. Вижу, что несколько роутеров в вашем доме одновременно пропали из сети, значит, "
               "проблема в оборудовании дома или улицы. Я ⟨передал|передала⟩ информацию сетевому отделу и сообщу новости здесь.",
             f="Есть новости? Всё ещё не работает.",
             sp="Здравствуйте, сетевой отдел. После работ управляющей компании распределительный шкаф в вашем доме остался "
                "без питания, а резервный аккумулятор за ночь разрядился. Техник уже едет с новым блоком питания, ожидаем "
                "восстановления связи в течение 3 часов.",
             x="Хорошие новости: в сетевом шкафу дома заменили блок питания, подключение восстановлено. Если на роутере всё "
               "ещё горит красная лампочка, отключите его от питания на 30 секунд.",
             t=["Заработало, спасибо!", "Всё работает, спасибо."]),
    ],
    lv=[
        dict(s=["Vai {district_loc} ir traucējumi?", "Internets un TV nedarbojas visā apkaimē", "Atkal avārija?"],
             o=["Labdien!\n\nApmēram kopš 18:00 visā mājā nav ne interneta, ne televīzijas — jautāju kaimiņiem. Vai "
                "{district_loc} ir avārija? Kad salabosiet?",
                "Vai {district_loc} ir zināmi traucējumi? Jau divas stundas nav savienojuma, un uz informatīvo tālruni nevar piezvanīt."],
             r="Paldies, ka ziņojāt, un atvainojamies par neērtībām! Jā, {district_loc} ir apstiprināti traucējumi — būvdarbu "
               "laikā tika bojāts kabelis. Brigāde jau ir uz vietas, paredzamais remonta laiks ir 4–6 stundas. Jums nekas nav "
               "jādara — savienojums atjaunosies automātiski.",
             f=["Vai ir kādi jaunumi? Joprojām nedarbojas.", "Paldies. Vai būs kompensācija par laiku bez savienojuma?"],
             sp="Labdien, tīkla nodaļa. Optisko kabeli pārrāva ekskavators; brigāde sametina 96 šķiedras, un tas prasa laiku. "
                "Paredzams, ka savienojums atjaunosies šovakar līdz 22:00. Jaunumus publicēsim šeit.",
             x="Traucējumi novērsti: bojātais kabelis nomainīts, un visi pieslēgumi {district_loc} atkal darbojas. Tā kā "
               "pakalpojumi nedarbojās ilgāk par diennakti, nākamajā rēķinā automātiski tiks iekļauta kompensācija par 3 "
               "dienām. Vēlreiz atvainojamies par neērtībām.",
             t=["Viss atkal darbojas. Paldies par informāciju.", "Savienojums ir, paldies."]),
        dict(s=["Visa māja bez interneta", "Arī kaimiņiem nav savienojuma"],
             o="Labvakar! Nedarbojas ne internets, ne TV. Maršrutētājā deg sarkana lampiņa. Kaimiņiem tajā pašā stāvā ir tas pats.",
             r="Paldies par informāciju! Redzu, ka vairāki maršrutētāji Jūsu mājā vienlaikus pazuda no tīkla, tātad problēma "
               "ir mājas vai ielas iekārtās. Esmu nodev⟨is|usi⟩ informāciju tīkla nodaļai un paziņošu jaunumus šeit.",
             f="Vai ir kādi jaunumi? Joprojām nedarbojas.",
             sp="Labdien, tīkla nodaļa. Pēc apsaimniekotāja veiktajiem darbiem Jūsu mājas sadales skapis palika bez strāvas, "
                "un rezerves akumulators nakts laikā izlādējās. Tehniķis jau ir ceļā ar jaunu barošanas moduli, savienojumu "
                "sagaidām atjaunotu 3 stundu laikā.",
             x="Labas ziņas: mājas tīkla skapī nomainīts barošanas bloks, un pieslēgums ir atjaunots. Ja maršrutētājā "
               "joprojām deg sarkana lampiņa, atvienojiet to no strāvas uz 30 sekundēm.",
             t=["Strādā, paldies!", "Viss atkal darbojas, paldies."]),
    ],
)

scenario(
    "tv_no_signal", category="tv", group="tech", esc=("L2", "Technical"), weight=5,
    prio={"normal": 6, "high": 3, "low": 1}, tags=["tv", "settopbox", "signal"],
    brief="TV box shows no signal or black channels", brief_ru="ТВ-приставка: нет сигнала",
    notes=["STB authorisation missing after the firmware 4.12 rollout.",
           "Entitlements OK, STB was offline for 30 days — certificate renewal needed."],
    notes_ru=["После обновления 4.12 приставка потеряла авторизацию.", "Права на пакет в порядке, приставка 30 дней была офлайн."],
    esc_reasons=["STB fails authorisation after a reset, needs L2.", "Certificate on the STB expired, L1 cannot re-issue it."],
    en=[
        dict(s=["TV says \"No signal\"", "No picture on TV since yesterday", "All TV channels gone"],
             o="Hello,\n\nSince yesterday the TV shows \"No signal\" on all channels. The internet works fine. We've tried "
               "turning the box off and on.",
             r="Thanks for reaching out. First, please check that the TV is on the right input (HDMI 1 or 2) — press the "
               "Source/Input button on the TV remote. If the input is right, unplug the TV box from power for 30 seconds and "
               "plug it back in.",
             f="Input is correct, restarted the box — still nothing.",
             sp="Hello, technical team here. Your TV box fails to register on our platform because its certificate expired "
                "after a long power-off. I've issued a new certificate; please restart the box and it should load normally. "
                "If not, we'll replace it free of charge.",
             x="Thanks for checking. Your TV box had lost its channel authorisation after a software update. I've re-activated "
               "it remotely and the channels should appear within a few minutes. If they don't, switch the box off and on once more.",
             xe="I can see your TV box registered on our platform this morning and all channels in your package are available "
                "again. If it ever shows \"No signal\" after a long power-off, just restart it twice.",
             t=["TV works again, thanks!", "All channels are back, thank you."]),
        dict(s=["TV box stuck on loading screen", "Some channels not working", "TV keeps freezing during football"],
             o=["Hi, our TV box is stuck on the Baltic Net logo and never finishes loading.",
                "Good evening, about half of the channels show a black screen, the others work. Sports channels are gone completely."],
             r="Sorry about that. I've sent a refresh signal to your TV box — please leave it switched on for 10 minutes. If "
               "the channels are still black, tell me the box model on the sticker underneath.",
             f="Still black. Model is BNTV-4K.",
             sp="Hello, technical team here. The BNTV-4K in your home is running an old software version that can't decode "
                "the new channel format. I've scheduled a forced update for tonight at 03:00 — please leave the box plugged in.",
             x="We've pushed a software update to your TV box and re-sent your package entitlements. All channels in your "
               "package should work now.",
             xe="The overnight update went through and your box now runs the current software. All channels in your package "
                "should work — let us know if any are still black.",
             t=["Works now, thank you.", "Perfect, just in time for the match."]),
    ],
    ru=[
        dict(s=["Телевизор пишет «Нет сигнала»", "С вчерашнего дня нет изображения на ТВ", "Пропали все ТВ-каналы"],
             o="Здравствуйте!\n\nСо вчерашнего дня на всех каналах надпись «Нет сигнала». Интернет при этом работает нормально. "
               "Приставку выключали и включали.",
             r="Спасибо за обращение. Сначала проверьте, пожалуйста, выбран ли на телевизоре правильный вход (HDMI 1 или 2) — "
               "нажмите кнопку Source/Input на пульте телевизора. Если вход правильный, отключите приставку от питания на 30 "
               "секунд и включите снова.",
             f="Вход правильный, приставку ⟨перезагрузил|перезагрузила⟩ — всё равно ничего.",
             sp="Здравствуйте, технический отдел. Ваша приставка не может зарегистрироваться на нашей платформе, потому что "
                "после долгого отключения истёк её сертификат. Я ⟨выдал|выдала⟩ новый сертификат; перезагрузите приставку, и "
                "она должна загрузиться нормально. Если нет — бесплатно заменим её.",
             x="Спасибо, что проверили. После обновления программного обеспечения ваша приставка потеряла авторизацию "
               "каналов. Я ⟨активировал|активировала⟩ её удалённо, каналы должны появиться в течение нескольких минут. Если "
               "нет — выключите и включите приставку ещё раз.",
             xe="Вижу, что сегодня утром приставка зарегистрировалась на платформе, и все каналы вашего пакета снова "
                "доступны. Если после долгого отключения снова появится «Нет сигнала», просто перезагрузите её дважды.",
             t=["Телевизор снова работает, спасибо!", "Все каналы вернулись, спасибо."]),
        dict(s=["ТВ-приставка зависла на загрузке", "Не работают некоторые каналы", "Телевизор зависает во время футбола"],
             o=["Добрый день, ТВ-приставка висит на логотипе Baltic Net и никак не загрузится.",
                "Добрый вечер, примерно половина каналов показывает чёрный экран, остальные работают. Спортивные каналы "
                "пропали совсем."],
             r="Извините за неудобства. Я ⟨отправил|отправила⟩ на вашу приставку сигнал обновления — оставьте её включённой на "
               "10 минут. Если каналы всё ещё чёрные, напишите модель приставки с наклейки снизу.",
             f="Всё ещё чёрный экран. Модель BNTV-4K.",
             sp="Здравствуйте, технический отдел. На вашей BNTV-4K старая версия программы, которая не умеет декодировать "
                "новый формат каналов. Я ⟨запланировал|запланировала⟩ принудительное обновление сегодня ночью в 03:00 — "
                "не отключайте, пожалуйста, приставку от сети.",
             x="Мы установили на приставку обновление и заново отправили права на ваш пакет. Все каналы вашего пакета "
               "должны работать.",
             xe="Ночное обновление прошло успешно, на приставке теперь актуальная версия программы. Все каналы пакета "
                "должны работать — напишите, если какой-то всё ещё чёрный.",
             t=["Теперь работает, спасибо.", "Отлично, как раз к матчу."]),
    ],
    lv=[
        dict(s=["Televizorā rakstīts \"Nav signāla\"", "Kopš vakardienas nav TV attēla", "Pazuduši visi TV kanāli"],
             o="Labdien!\n\nKopš vakardienas visos kanālos rakstīts \"Nav signāla\". Internets strādā normāli. Dekoderi "
               "izslēdzām un ieslēdzām.",
             r="Paldies, ka sazinājāties! Vispirms, lūdzu, pārbaudiet, vai televizorā izvēlēta pareizā ieeja (HDMI 1 vai 2) — "
               "nospiediet pogu Source/Input televizora pultī. Ja ieeja ir pareiza, atvienojiet dekoderi no strāvas uz 30 "
               "sekundēm un pievienojiet atpakaļ.",
             f="Ieeja ir pareiza, dekoderi restartēju — joprojām nekā.",
             sp="Labdien, tehniskā nodaļa. Jūsu dekoderis nevar reģistrēties mūsu platformā, jo pēc ilgas atslēgšanas "
                "beidzies tā sertifikāta derīgums. Esmu izsniedz⟨is|usi⟩ jaunu sertifikātu; restartējiet dekoderi, un tam "
                "vajadzētu ielādēties normāli. Ja nē — bez maksas to nomainīsim.",
             x="Paldies, ka pārbaudījāt! Pēc programmatūras atjauninājuma Jūsu dekoderis bija zaudējis kanālu autorizāciju. "
               "Esmu to attālināti aktivizēj⟨is|usi⟩, un kanāliem vajadzētu parādīties dažu minūšu laikā. Ja nē — izslēdziet "
               "un ieslēdziet dekoderi vēlreiz.",
             xe="Redzu, ka šorīt dekoderis reģistrējās platformā, un visi Jūsu pakas kanāli atkal ir pieejami. Ja pēc ilgas "
                "atslēgšanas atkal parādās \"Nav signāla\", vienkārši restartējiet to divreiz.",
             t=["TV atkal strādā, paldies!", "Visi kanāli atpakaļ, paldies."]),
        dict(s=["TV dekoderis iestrēdzis ielādē", "Nedarbojas daži kanāli", "TV sastingst futbola laikā"],
             o=["Sveiki! TV dekoderis karājas uz Baltic Net logo un nekādi neielādējas.",
                "Labvakar! Apmēram puse kanālu rāda melnu ekrānu, pārējie strādā. Sporta kanāli pazuduši pavisam."],
             r="Atvainojamies par neērtībām! Esmu nosūtīj⟨is|usi⟩ Jūsu dekoderim atjaunošanas signālu — lūdzu, atstājiet to "
               "ieslēgtu 10 minūtes. Ja kanāli joprojām ir melni, uzrakstiet dekodera modeli no uzlīmes apakšpusē.",
             f="Joprojām melns ekrāns. Modelis BNTV-4K.",
             sp="Labdien, tehniskā nodaļa. Jūsu BNTV-4K darbojas vecā programmatūras versija, kas nespēj dekodēt jauno kanālu "
                "formātu. Esmu ieplānoj⟨is|usi⟩ piespiedu atjauninājumu šonakt plkst. 03:00 — lūdzu, neatvienojiet dekoderi no strāvas.",
             x="Esam instalējuši dekoderī atjauninājumu un no jauna nosūtījuši Jūsu pakas tiesības. Visiem Jūsu pakas "
               "kanāliem tagad vajadzētu darboties.",
             xe="Nakts atjauninājums izdevās, un dekoderī tagad ir aktuālā programmatūra. Visiem pakas kanāliem vajadzētu "
                "darboties — uzrakstiet, ja kāds joprojām ir melns.",
             t=["Tagad strādā, paldies.", "Lieliski, tieši laikā mačam."]),
    ],
)

scenario(
    "tv_package", category="tv", group="general", esc=None, weight=3,
    prio={"low": 6, "normal": 4}, tags=["tv", "package", "upgrade"],
    brief="TV package change", brief_ru="смена ТВ-пакета",
    notes=["Package change scheduled in billing, effective on the 1st.",
           "Customer is on a 24-month Premium contract — one downgrade per year allowed without a fee."],
    notes_ru=["Смена пакета запланирована с 1-го числа.", "Договор Premium на 24 месяца — одно понижение в год без платы."],
    esc_reasons=[],
    en=[
        dict(s=["Add sports channels to my package", "Sports add-on price?"],
             o="Hi,\n\nI'd like to add the sports channels to my TV package before the hockey season starts. How much would it cost?",
             r="Thanks for your message! The Sports add-on costs 6.99 EUR/month and can be added to any package. I can activate "
               "it right away — please confirm and it will appear on your next invoice from today, pro rata.",
             f="Yes, please activate it.",
             x="Done! The Sports add-on is active — please restart your TV box so the channel list updates. The new price will "
               "appear on your next invoice.",
             t=["Great, thanks!", "Perfect, thank you."]),
        dict(s=["Downgrade TV to basic", "How do I cancel the film package?"],
             o="Hello, we hardly watch the film package any more. Can I switch to the basic package from next month?",
             r="Thank you for getting in touch. Switching to the basic package is possible from the 1st of next month and there "
               "is no fee. Please confirm and I'll make the change.",
             f="Yes, please switch us to basic from the 1st.",
             x="All set: your package change is scheduled for the 1st of next month. You'll receive a confirmation SMS on the "
               "day it takes effect.",
             t=["Thanks!", "Great, thank you."]),
        dict(s=["Which package has BBC channels?", "TV package with English channels"],
             o="Good afternoon, which of your TV packages include BBC and other English-language channels?",
             r="Thanks for asking! BBC World News, BBC Earth and several other English-language channels are in the Family "
               "package (12.99 EUR/month). Your current package is Basic. Would you like me to switch you to Family?",
             f="Yes, please switch us.",
             x="Done — you're now on the Family package. Restart the TV box and the new channels will appear. The price change "
               "shows up on your next invoice, pro rata.",
             t=["Thank you!", "Lovely, thanks."]),
    ],
    ru=[
        dict(s=["Добавить спортивные каналы", "Сколько стоит спортивный пакет?"],
             o="Здравствуйте!\n\nХочу добавить спортивные каналы к своему ТВ-пакету до начала хоккейного сезона. Сколько это "
               "будет стоить?",
             r="Спасибо за обращение! Спортивный пакет стоит 6,99 € в месяц и добавляется к любому пакету. Могу подключить "
               "прямо сейчас — подтвердите, и с сегодняшнего дня он пропорционально появится в следующем счёте.",
             f="Да, подключите, пожалуйста.",
             x="Готово! Спортивный пакет подключён — перезагрузите, пожалуйста, приставку, чтобы обновился список каналов. "
               "Новая цена появится в следующем счёте.",
             t=["Отлично, спасибо!", "Спасибо большое."]),
        dict(s=["Перейти на базовый пакет ТВ", "Как отказаться от пакета фильмов?"],
             o="Добрый день, пакет фильмов мы почти не смотрим. Можно со следующего месяца перейти на базовый пакет?",
             r="Спасибо, что написали. Перейти на базовый пакет можно с 1-го числа следующего месяца, это бесплатно. "
               "Подтвердите, пожалуйста, и я оформлю изменение.",
             f="Да, переведите на базовый с 1-го числа.",
             x="Всё оформлено: смена пакета запланирована на 1-е число следующего месяца. В день изменения вы получите SMS "
               "с подтверждением.",
             t=["Спасибо!", "Хорошо, спасибо."]),
        dict(s=["В каком пакете есть детские каналы?", "Сменить ТВ-пакет"],
             o="Здравствуйте, подскажите, в каком пакете есть детские каналы с русской озвучкой?",
             r="Спасибо за вопрос! Детские каналы с русской звуковой дорожкой есть в пакете «Семейный» (12,99 € в месяц). "
               "Сейчас у вас пакет «Базовый». Перевести вас на «Семейный»?",
             f="Да, переведите, пожалуйста.",
             x="Готово — теперь у вас пакет «Семейный». Перезагрузите приставку, и новые каналы появятся. Изменение цены "
               "будет пропорционально учтено в следующем счёте.",
             t=["Спасибо!", "Отлично, дети будут рады."]),
    ],
    lv=[
        dict(s=["Pievienot sporta kanālus", "Cik maksā sporta paka?"],
             o="Labdien!\n\nVēlos pievienot sporta kanālus savai TV pakai, pirms sākas hokeja sezona. Cik tas maksātu?",
             r="Paldies par ziņu! Sporta papildpaka maksā 6,99 EUR mēnesī, un to var pievienot jebkurai pakai. Varu to "
               "aktivizēt uzreiz — lūdzu, apstipriniet, un no šodienas tā proporcionāli parādīsies nākamajā rēķinā.",
             f="Jā, lūdzu, aktivizējiet.",
             x="Gatavs! Sporta papildpaka ir aktīva — lūdzu, restartējiet dekoderi, lai atjaunotos kanālu saraksts. Jaunā cena "
               "parādīsies nākamajā rēķinā.",
             t=["Lieliski, paldies!", "Liels paldies."]),
        dict(s=["Pāriet uz pamata TV paku", "Kā atteikties no filmu pakas?"],
             o="Sveiki! Filmu paku gandrīz vairs neskatāmies. Vai no nākamā mēneša varu pāriet uz pamata paku?",
             r="Paldies, ka sazinājāties! Pāriet uz pamata paku var no nākamā mēneša 1. datuma, tas ir bez maksas. Lūdzu, "
               "apstipriniet, un es veikšu izmaiņas.",
             f="Jā, lūdzu, pārslēdziet uz pamata paku no 1. datuma.",
             x="Viss kārtībā: pakas maiņa ieplānota nākamā mēneša 1. datumā. Dienā, kad izmaiņas stāsies spēkā, saņemsiet "
               "apstiprinājuma īsziņu.",
             t=["Paldies!", "Labi, paldies."]),
        dict(s=["Kurā pakā ir bērnu kanāli?", "Mainīt TV paku"],
             o="Labdien! Kurā no jūsu TV pakām ir bērnu kanāli latviešu valodā?",
             r="Paldies par jautājumu! Bērnu kanāli ar latviešu valodas celiņu ir pakā \"Ģimenes\" (12,99 EUR mēnesī). Pašlaik "
               "Jums ir \"Pamata\" paka. Vai pārslēgt Jūs uz \"Ģimenes\" paku?",
             f="Jā, lūdzu, pārslēdziet.",
             x="Gatavs — tagad Jums ir \"Ģimenes\" paka. Restartējiet dekoderi, un jaunie kanāli parādīsies. Cenas izmaiņas "
               "proporcionāli tiks iekļautas nākamajā rēķinā.",
             t=["Paldies!", "Lieliski, bērni priecāsies."]),
    ],
)

scenario(
    "roaming", category="mobile", group="billing", esc=("L3", "Billing Experts"), weight=4,
    prio={"normal": 4, "high": 4, "urgent": 1}, tags=["mobile", "roaming", "charges"],
    brief="mobile roaming problem or roaming charges", brief_ru="проблема с роумингом",
    notes=["HLR: roaming barring flag set after the tariff migration.", "Data usage 780 MB in TR, cap SMS missing from the SMS log."],
    notes_ru=["HLR: после смены тарифа стоит запрет роуминга.", "780 МБ в Турции, SMS о лимите в журнале нет."],
    esc_reasons=["Roaming bill dispute above the L1 credit limit.", "Customer disputes roaming charges; cap notification missing."],
    en=[
        dict(s=["No mobile signal abroad", "Phone says \"Emergency calls only\" in Spain", "Mobile data not working in Norway"],
             o=["Hi,\n\nI'm in Norway for work and my phone shows \"Emergency calls only\". Roaming should be included in my "
                "plan. Please help quickly, I need my phone.",
                "Good morning, calls work here in Spain but mobile data doesn't. Data roaming is switched on in the phone settings."],
             r="Sorry for the trouble abroad. Roaming is active on your number. Please try selecting a network manually: "
               "Settings → Mobile network → Network operators → switch off \"Automatic\" and choose a local network from the "
               "list. Then restart the phone.",
             f="Chose the network manually, still nothing.",
             esc=("L2", "Technical"),
             sp="Hello, technical team here. After your recent plan change the SIM profile was missing the roaming permission "
                "for data. I've corrected the profile — please restart the phone and it should register on a local network "
                "within a couple of minutes.",
             x="Thanks for trying. Your SIM profile was missing the roaming permission after a recent plan change — I've fixed "
               "it. Please restart the phone and it should register on a local network within a couple of minutes.",
             xe="I can see your phone registered on a local network this morning and data sessions are working normally. "
                "Have a good trip!",
             t=["It works now, thank you!", "Data is working, thanks a lot."]),
        dict(s=["Huge roaming bill", "Roaming charges after holiday", "Roaming bill of {amount2}?!"],
             o="Hello, I just got a mobile invoice of {amount2} after a week in Turkey. I used maybe a few hundred megabytes. "
               "Nobody warned me it would be that expensive!",
             r="Thank you for reaching out. I can see the data usage — Turkey is outside the EU, so data is charged per megabyte "
               "under the World zone tariff. Let me check whether the warning SMS at 50 EUR was sent. Did you receive any SMS from us?",
             f="I did not get any SMS, I'm sure.",
             sp="Hello, billing team here. I reviewed the roaming records: the data sessions were billed at the World zone "
                "rate, but the spending-limit notification failed because of a partner network delay. In line with our policy "
                "I've capped the charges at 50 EUR and issued a credit note for the rest.",
             x="You're right, the spending-limit SMS was not sent due to a fault on our side. I've reduced the roaming charges "
               "to the 50 EUR limit, so the invoice will be corrected to {amount}.",
             xe="The credit note has been issued and your corrected invoice of {amount} is now in My Baltic Net.",
             t=["Thank you, that's very fair.", "Thanks, much appreciated."]),
    ],
    ru=[
        dict(s=["Нет связи за границей", "Телефон пишет «Только экстренные вызовы»", "Не работает мобильный интернет в Норвегии"],
             o=["Здравствуйте!\n\nЯ в командировке в Норвегии, а телефон пишет «Только экстренные вызовы». Роуминг должен быть "
                "включён в мой тариф. Помогите, пожалуйста, срочно, мне нужен телефон.",
                "Доброе утро, в Испании звонки работают, а мобильный интернет — нет. Роуминг данных в настройках телефона включён."],
             r="Извините за неудобства за границей. Роуминг на вашем номере активен. Попробуйте выбрать сеть вручную: "
               "Настройки → Мобильная сеть → Операторы сети → отключите «Автоматически» и выберите местную сеть из списка. "
               "Затем перезагрузите телефон.",
             f="⟨Выбрал|Выбрала⟩ сеть вручную, всё равно ничего.",
             esc=("L2", "Technical"),
             sp="Здравствуйте, технический отдел. После недавней смены тарифа в профиле вашей SIM-карты не было разрешения на "
                "роуминг данных. Я ⟨исправил|исправила⟩ профиль — перезагрузите телефон, и через пару минут он "
                "зарегистрируется в местной сети.",
             x="Спасибо, что попробовали. После недавней смены тарифа в профиле вашей SIM-карты не было разрешения на роуминг — "
               "я это ⟨исправил|исправила⟩. Перезагрузите телефон, и через пару минут он зарегистрируется в местной сети.",
             xe="Вижу, что сегодня утром телефон зарегистрировался в местной сети и мобильный интернет работает нормально. "
                "Хорошей поездки!",
             t=["Теперь работает, спасибо!", "Интернет появился, большое спасибо."]),
        dict(s=["Огромный счёт за роуминг", "Начисления за роуминг после отпуска", "Счёт за роуминг {amount2}?!"],
             o="Добрый день, после недели в Турции мне пришёл счёт за мобильную связь на {amount2}. Я "
               "⟨использовал|использовала⟩ от силы несколько сотен мегабайт. Никто не предупредил, что это так дорого!",
             r="Спасибо за обращение. Я вижу использование данных — Турция не входит в ЕС, поэтому интернет тарифицируется за "
               "каждый мегабайт по тарифу зоны «Мир». Проверю, было ли отправлено предупреждающее SMS при достижении 50 €. "
               "Вы получали от нас какие-нибудь SMS?",
             f="Никакого SMS я не ⟨получал|получала⟩, точно.",
             sp="Здравствуйте, отдел расчётов. Я ⟨проверил|проверила⟩ данные роуминга: сессии были тарифицированы по зоне "
                "«Мир», но уведомление о лимите не пришло из-за задержки партнёрской сети. Согласно нашим правилам я "
                "⟨ограничил|ограничила⟩ начисления суммой 50 € и ⟨оформил|оформила⟩ кредит на остаток.",
             x="Вы правы: SMS о лимите не было отправлено из-за сбоя на нашей стороне. Я ⟨уменьшил|уменьшила⟩ начисления за "
               "роуминг до лимита 50 €, счёт будет исправлен на {amount}.",
             xe="Кредит оформлен, исправленный счёт на {amount} уже в личном кабинете.",
             t=["Спасибо, это очень честно.", "Спасибо, очень приятно."]),
    ],
    lv=[
        dict(s=["Ārzemēs nav mobilā signāla", "Telefonā rakstīts \"Tikai ārkārtas zvani\"", "Norvēģijā nedarbojas mobilie dati"],
             o=["Labdien!\n\nEsmu komandējumā Norvēģijā, un telefonā rakstīts \"Tikai ārkārtas zvani\". Viesabonēšanai jābūt "
                "iekļautai manā tarifā. Lūdzu, palīdziet ātri, man vajadzīgs telefons.",
                "Labrīt! Spānijā zvani strādā, bet mobilie dati ne. Datu viesabonēšana telefona iestatījumos ir ieslēgta."],
             r="Atvainojamies par neērtībām ārzemēs! Viesabonēšana Jūsu numuram ir aktīva. Lūdzu, mēģiniet izvēlēties tīklu "
               "manuāli: Iestatījumi → Mobilais tīkls → Tīkla operatori → izslēdziet \"Automātiski\" un sarakstā izvēlieties "
               "vietējo tīklu. Pēc tam restartējiet telefonu.",
             f="Izvēlējos tīklu manuāli, joprojām nekā.",
             esc=("L2", "Technical"),
             sp="Labdien, tehniskā nodaļa. Pēc nesenās tarifa maiņas Jūsu SIM kartes profilā trūka datu viesabonēšanas "
                "atļaujas. Esmu profilu izlaboj⟨is|usi⟩ — restartējiet telefonu, un pēc pāris minūtēm tas reģistrēsies vietējā tīklā.",
             x="Paldies, ka pamēģinājāt! Pēc nesenās tarifa maiņas Jūsu SIM kartes profilā trūka viesabonēšanas atļaujas — "
               "esmu to izlaboj⟨is|usi⟩. Restartējiet telefonu, un pēc pāris minūtēm tas reģistrēsies vietējā tīklā.",
             xe="Redzu, ka šorīt telefons reģistrējās vietējā tīklā un mobilie dati darbojas normāli. Veiksmīgu braucienu!",
             t=["Tagad strādā, paldies!", "Dati darbojas, liels paldies."]),
        dict(s=["Milzīgs rēķins par viesabonēšanu", "Maksa par viesabonēšanu pēc atvaļinājuma",
                "Rēķins par viesabonēšanu {amount2}?!"],
             o="Labdien! Pēc nedēļas Turcijā saņēmu mobilo sakaru rēķinu par {amount2}. Izmantoju labākajā gadījumā dažus "
               "simtus megabaitu. Neviens nebrīdināja, ka tas būs tik dārgi!",
             r="Paldies, ka sazinājāties! Redzu datu patēriņu — Turcija nav ES valsts, tāpēc dati tiek tarificēti par katru "
               "megabaitu pēc zonas \"Pasaule\" tarifa. Pārbaudīšu, vai tika nosūtīta brīdinājuma īsziņa, sasniedzot 50 EUR. "
               "Vai saņēmāt no mums kādu īsziņu?",
             f="Nekādu īsziņu nesaņēmu, esmu pārliecināt⟨s|a⟩.",
             sp="Labdien, norēķinu nodaļa. Pārbaudīju viesabonēšanas datus: sesijas tika tarificētas pēc zonas \"Pasaule\", "
                "bet paziņojums par limitu netika nosūtīts partnertīkla aizkaves dēļ. Saskaņā ar mūsu noteikumiem esmu "
                "ierobežoj⟨is|usi⟩ maksu līdz 50 EUR un noformēj⟨is|usi⟩ kredītrēķinu par atlikumu.",
             x="Jums taisnība — īsziņa par limitu netika nosūtīta kļūmes dēļ mūsu pusē. Esmu samazināj⟨is|usi⟩ maksu par "
               "viesabonēšanu līdz 50 EUR limitam, un rēķins tiks labots uz {amount}.",
             xe="Kredītrēķins ir izrakstīts, un labotais rēķins par {amount} jau ir pieejams portālā \"Mans Baltic Net\".",
             t=["Paldies, tas ir ļoti godīgi.", "Paldies, ļoti novērtēju."]),
    ],
)

scenario(
    "sim", category="mobile", group="general", esc=None, weight=3,
    prio={"normal": 5, "high": 3, "low": 2}, tags=["mobile", "sim", "puk", "esim"],
    brief="SIM card blocked, lost or eSIM request", brief_ru="SIM-карта: блокировка, PUK, eSIM",
    notes=["Identity verified via DOB + contract address.", "SIM barred, replacement SIM ordered to the contract address."],
    notes_ru=["Личность подтверждена (дата рождения + адрес).", "SIM заблокирована, новая отправлена по адресу договора."],
    esc_reasons=[],
    en=[
        dict(s=["SIM card blocked – need PUK", "Entered the wrong PIN three times"],
             o="Hi,\n\nI entered the wrong PIN three times and now my phone asks for a PUK code. Where can I find it?",
             r="Thanks for reaching out. The PUK code is printed on the plastic card your SIM came in. If you don't have it, I "
               "can send it to you once I verify your identity — please confirm your date of birth and the address on the contract.",
             f="Date of birth 12.04.1986, address {address}.",
             x="Thank you, identity confirmed. I've sent the PUK code to your e-mail. After entering it you'll be asked to set a new PIN.",
             t=["Got it, phone works again. Thanks!", "Thank you, very helpful."]),
        dict(s=["Lost my phone, block the SIM please", "Phone stolen – urgent SIM block"],
             o="Hello, my phone was stolen this morning in the tram. Please block my SIM card immediately!",
             r="Sorry to hear that. I've blocked your SIM card right away, so nobody can make calls or use data on your number. "
               "You can get a new SIM with the same number in any Baltic Net shop or we can post it to you. Which would you prefer?",
             f="Please post it to {address}.",
             x="Done — a new SIM card with your number is on its way by post and should arrive within 2 working days. It will "
               "be active as soon as you insert it.",
             t=["Thank you for the quick block.", "Thanks, got the new SIM."]),
        dict(s=["How do I get an eSIM?", "Switch my number to eSIM"],
             o="Hi, I bought a new phone that supports eSIM. How can I switch my number to eSIM?",
             r="Good choice! Switching to eSIM is free. We'll send you a QR code by e-mail — please confirm the e-mail address "
               "we should use and your new phone model.",
             f="iPhone 15, please use this e-mail address.",
             x="The QR code is in your inbox. Scan it under Settings → Mobile data → Add eSIM. Your physical SIM will stop "
               "working as soon as the eSIM is activated.",
             t=["eSIM works, thanks!", "All set up, thank you."]),
    ],
    ru=[
        dict(s=["SIM-карта заблокирована — нужен PUK", "Три раза неправильно ⟨набрал|набрала⟩ PIN"],
             o="Здравствуйте!\n\nЯ три раза неправильно ⟨набрал|набрала⟩ PIN-код, и теперь телефон просит PUK. Где его найти?",
             r="Спасибо за обращение. PUK-код напечатан на пластиковой карточке, в которой была SIM-карта. Если её нет, я могу "
               "прислать код после проверки личности — подтвердите, пожалуйста, дату рождения и адрес, указанный в договоре.",
             f="Дата рождения 12.04.1986, адрес {address}.",
             x="Спасибо, личность подтверждена. Я ⟨отправил|отправила⟩ PUK-код на вашу электронную почту. После ввода кода "
               "телефон попросит задать новый PIN.",
             t=["⟨Получил|Получила⟩, телефон снова работает. Спасибо!", "Спасибо, очень помогли."]),
        dict(s=["⟨Потерял|Потеряла⟩ телефон, заблокируйте SIM", "Украли телефон — срочно заблокируйте номер"],
             o="Добрый день, сегодня утром в трамвае у меня украли телефон. Срочно заблокируйте мою SIM-карту!",
             r="Очень жаль. Я сразу ⟨заблокировал|заблокировала⟩ вашу SIM-карту, теперь никто не сможет звонить или "
               "пользоваться интернетом с вашего номера. Новую SIM-карту с тем же номером можно получить в любом салоне "
               "Baltic Net или по почте. Как вам удобнее?",
             f="Пришлите, пожалуйста, по почте на {address}.",
             x="Готово — новая SIM-карта с вашим номером отправлена по почте и придёт в течение 2 рабочих дней. Она заработает "
               "сразу, как только вы вставите её в телефон.",
             t=["Спасибо, что так быстро заблокировали.", "Спасибо, новая SIM пришла."]),
        dict(s=["Как перейти на eSIM?", "Перевести номер на eSIM"],
             o="Здравствуйте, ⟨купил|купила⟩ новый телефон с поддержкой eSIM. Как перевести свой номер на eSIM?",
             r="Отличный выбор! Переход на eSIM бесплатный. Мы пришлём QR-код по электронной почте — подтвердите, пожалуйста, "
               "адрес почты и модель нового телефона.",
             f="iPhone 15, почта — эта же.",
             x="QR-код уже у вас в почте. Отсканируйте его в разделе Настройки → Сотовая связь → Добавить eSIM. Обычная "
               "SIM-карта перестанет работать сразу после активации eSIM.",
             t=["eSIM работает, спасибо!", "Всё настроено, спасибо."]),
    ],
    lv=[
        dict(s=["SIM karte bloķēta — vajag PUK", "Trīs reizes ievadīju nepareizu PIN"],
             o="Labdien!\n\nTrīs reizes ievadīju nepareizu PIN kodu, un tagad telefons prasa PUK. Kur to var atrast?",
             r="Paldies, ka sazinājāties! PUK kods ir uzdrukāts uz plastikāta kartes, kurā bija SIM karte. Ja tās nav, varu "
               "nosūtīt kodu pēc identitātes pārbaudes — lūdzu, apstipriniet dzimšanas datumu un līgumā norādīto adresi.",
             f="Dzimšanas datums 12.04.1986, adrese {address}.",
             x="Paldies, identitāte apstiprināta. Esmu nosūtīj⟨is|usi⟩ PUK kodu uz Jūsu e-pastu. Pēc koda ievadīšanas "
               "telefons lūgs iestatīt jaunu PIN.",
             t=["Saņēmu, telefons atkal strādā. Paldies!", "Paldies, ļoti palīdzējāt."]),
        dict(s=["Pazaudēju telefonu, lūdzu, bloķējiet SIM", "Nozagts telefons — steidzami bloķējiet numuru"],
             o="Labdien! Šorīt tramvajā man nozaga telefonu. Lūdzu, nekavējoties bloķējiet manu SIM karti!",
             r="Ļoti žēl! Esmu nekavējoties bloķēj⟨is|usi⟩ Jūsu SIM karti, tāpēc neviens nevarēs zvanīt vai izmantot datus no "
               "Jūsu numura. Jaunu SIM karti ar to pašu numuru var saņemt jebkurā Baltic Net salonā vai pa pastu. Kā Jums ērtāk?",
             f="Lūdzu, atsūtiet pa pastu uz {address}.",
             x="Gatavs — jaunā SIM karte ar Jūsu numuru nosūtīta pa pastu un pienāks 2 darba dienu laikā. Tā sāks darboties, "
               "tiklīdz to ievietosiet telefonā.",
             t=["Paldies par ātro bloķēšanu.", "Paldies, jaunā SIM saņemta."]),
        dict(s=["Kā pāriet uz eSIM?", "Pārcelt numuru uz eSIM"],
             o="Sveiki! Nopirku jaunu telefonu, kas atbalsta eSIM. Kā pārcelt savu numuru uz eSIM?",
             r="Lieliska izvēle! Pāreja uz eSIM ir bez maksas. Nosūtīsim QR kodu pa e-pastu — lūdzu, apstipriniet e-pasta "
               "adresi un jaunā telefona modeli.",
             f="iPhone 15, e-pasts tas pats.",
             x="QR kods jau ir Jūsu e-pastā. Noskenējiet to sadaļā Iestatījumi → Mobilie dati → Pievienot eSIM. Parastā SIM "
               "karte pārstās darboties, tiklīdz eSIM būs aktivizēta.",
             t=["eSIM strādā, paldies!", "Viss iestatīts, paldies."]),
    ],
)

scenario(
    "password", category="account", group="general", esc=("L2", "Technical"), weight=5,
    prio={"normal": 6, "low": 3, "high": 1}, tags=["account", "password", "login"],
    brief="cannot log in to the self-service portal", brief_ru="не может войти в личный кабинет",
    notes=["Login e-mail in CRM has a typo (.con instead of .com).", "Account locked by the rate limiter, unlocked manually."],
    notes_ru=["В CRM опечатка в адресе почты для входа.", "Учётная запись заблокирована лимитом попыток, ⟨разблокировал|разблокировала⟩ вручную."],
    esc_reasons=["Reset flow fails with error 500 for this account.", "Duplicate customer profiles, needs a merge by L2."],
    en=[
        dict(s=["Can't log in to My Baltic Net", "Password reset email never arrives"],
             o="Hello,\n\nI can't log in to My Baltic Net. I've reset the password twice, but the reset e-mail never arrives "
               "(checked spam too).",
             r="Thanks for getting in touch. I can see that the e-mail address on your account is slightly different from the "
               "one you're writing from. For security, could you confirm the e-mail you'd like to use for logging in and the "
               "last 4 digits of your phone number?",
             f="Please use this address. Phone ends with 4417.",
             sp="Hello, technical team here. Your account was linked to two customer profiles after a contract transfer, which "
                "broke the password reset. I've merged the profiles and set this address as your login — you can now reset the "
                "password normally.",
             x="Thank you. I've updated the login e-mail on your account and sent a new password reset link to it. The link is "
               "valid for 30 minutes.",
             xe="I can see you logged in successfully this morning, so I'm closing this ticket. Your profiles stay merged, so "
                "the issue won't come back.",
             t=["I'm in, thanks!", "Worked, thank you."]),
        dict(s=["Account locked after too many attempts", "Forgot my password", "Login error on the self-service page"],
             o=["Hi, after several attempts my account says it's locked for security reasons. How do I unlock it?",
                "I forgot my password and the \"Forgot password\" link gives an error: \"Something went wrong, try again later\"."],
             r="Sorry for the trouble. I've unlocked your account. Please use the \"Forgot password\" link again — the reset "
               "link is valid for 30 minutes. Let me know if the e-mail still doesn't arrive.",
             f="Tried again, still no e-mail.",
             sp="Hello, technical team here. Our mail logs show your e-mail provider rejected the reset messages as spam. "
                "I've reported it to them; in the meantime I'm sending you a one-time login code by SMS.",
             x="The reset e-mails were being blocked by your mail provider. I've sent you a one-time login code by SMS instead — "
               "after logging in you can set a new password under Settings → Security.",
             xe="You logged in with the SMS code and set a new password — great. The mail provider has whitelisted our "
                "address, so future e-mails should arrive normally.",
             t=["Logged in, thanks!", "All good now, thank you."]),
    ],
    ru=[
        dict(s=["Не могу войти в личный кабинет", "Не приходит письмо для сброса пароля"],
             o="Здравствуйте!\n\nНе могу войти в личный кабинет. Два раза ⟨сбрасывал|сбрасывала⟩ пароль, но письмо так и не "
               "приходит (папку «Спам» ⟨проверил|проверила⟩).",
             r="Спасибо за обращение. Вижу, что адрес электронной почты в вашей учётной записи немного отличается от того, с "
               "которого вы пишете. В целях безопасности подтвердите, пожалуйста, какой адрес использовать для входа, и "
               "последние 4 цифры вашего номера телефона.",
             f="Используйте этот адрес. Телефон заканчивается на 4417.",
             sp="Здравствуйте, технический отдел. После переоформления договора ваша учётная запись оказалась привязана к двум "
                "профилям клиента, из-за этого не работал сброс пароля. Я ⟨объединил|объединила⟩ профили и "
                "⟨указал|указала⟩ этот адрес для входа — теперь пароль можно сбросить как обычно.",
             x="Спасибо. Я ⟨обновил|обновила⟩ адрес для входа в вашей учётной записи и ⟨отправил|отправила⟩ на него новую "
               "ссылку для сброса пароля. Ссылка действует 30 минут.",
             xe="Вижу, что сегодня утром вы успешно вошли в личный кабинет, поэтому закрываю обращение. Профили остаются "
                "объединёнными, так что проблема не повторится.",
             t=["Получилось войти, спасибо!", "Всё работает, спасибо."]),
        dict(s=["Учётная запись заблокирована", "⟨Забыл|Забыла⟩ пароль", "Ошибка входа в личный кабинет"],
             o=["Добрый день, после нескольких попыток входа пишет, что учётная запись заблокирована в целях безопасности. "
                "Как её разблокировать?",
                "⟨Забыл|Забыла⟩ пароль, а ссылка «Забыли пароль?» выдаёт ошибку «Что-то пошло не так, попробуйте позже»."],
             r="Извините за неудобства. Я ⟨разблокировал|разблокировала⟩ вашу учётную запись. Воспользуйтесь, пожалуйста, "
               "ссылкой «Забыли пароль?» ещё раз — ссылка для сброса действует 30 минут. Напишите, если письмо опять не придёт.",
             f="⟨Попробовал|Попробовала⟩ ещё раз — письма нет.",
             sp="Здравствуйте, технический отдел. По нашим почтовым логам ваш почтовый сервис отклонял письма как спам. Я "
                "⟨сообщил|сообщила⟩ им об этом, а пока отправляю вам одноразовый код для входа по SMS.",
             x="Письма блокировал ваш почтовый сервис. Я ⟨отправил|отправила⟩ вам одноразовый код для входа по SMS — после "
               "входа новый пароль можно задать в разделе Настройки → Безопасность.",
             xe="Вы вошли по коду из SMS и задали новый пароль — отлично. Почтовый сервис добавил наш адрес в белый список, "
                "так что письма теперь будут приходить.",
             t=["Получилось, спасибо!", "Теперь всё в порядке, спасибо."]),
    ],
    lv=[
        dict(s=["Nevaru pieslēgties portālam \"Mans Baltic Net\"", "Nepienāk paroles atjaunošanas e-pasts"],
             o="Labdien!\n\nNevaru pieslēgties portālam \"Mans Baltic Net\". Divreiz atjaunoju paroli, bet e-pasts tā arī "
               "nepienāk (surogātpastu pārbaudīju).",
             r="Paldies, ka sazinājāties! Redzu, ka e-pasta adrese Jūsu kontā nedaudz atšķiras no tās, no kuras rakstāt. "
               "Drošības nolūkos, lūdzu, apstipriniet, kuru adresi izmantot pieslēgšanās vajadzībām, un sava tālruņa numura "
               "pēdējos 4 ciparus.",
             f="Lūdzu, izmantojiet šo adresi. Tālrunis beidzas ar 4417.",
             sp="Labdien, tehniskā nodaļa. Pēc līguma pārjaunošanas Jūsu konts bija piesaistīts diviem klienta profiliem, "
                "tāpēc paroles atjaunošana nedarbojās. Esmu apvienoj⟨is|usi⟩ profilus un iestatīj⟨is|usi⟩ šo adresi "
                "pieslēgšanās vajadzībām — tagad paroli var atjaunot kā parasti.",
             x="Paldies! Esmu nomainīj⟨is|usi⟩ pieslēgšanās e-pastu Jūsu kontā un nosūtīj⟨is|usi⟩ uz to jaunu paroles "
               "atjaunošanas saiti. Saite ir derīga 30 minūtes.",
             xe="Redzu, ka šorīt veiksmīgi pieslēdzāties portālam, tāpēc slēdzu pieteikumu. Profili paliek apvienoti, tāpēc "
                "problēma neatkārtosies.",
             t=["Izdevās pieslēgties, paldies!", "Viss strādā, paldies."]),
        dict(s=["Konts bloķēts pēc vairākiem mēģinājumiem", "Aizmirsu paroli", "Kļūda, piesakoties pašapkalpošanās portālā"],
             o=["Sveiki! Pēc vairākiem mēģinājumiem rāda, ka konts drošības apsvērumu dēļ ir bloķēts. Kā to atbloķēt?",
                "Aizmirsu paroli, bet saite \"Aizmirsi paroli?\" izmet kļūdu \"Kaut kas nogāja greizi, mēģiniet vēlāk\"."],
             r="Atvainojamies par neērtībām! Esmu atbloķēj⟨is|usi⟩ Jūsu kontu. Lūdzu, vēlreiz izmantojiet saiti \"Aizmirsi "
               "paroli?\" — atjaunošanas saite ir derīga 30 minūtes. Uzrakstiet, ja e-pasts atkal nepienāk.",
             f="Mēģināju vēlreiz — e-pasta nav.",
             sp="Labdien, tehniskā nodaļa. Mūsu pasta žurnāli rāda, ka Jūsu e-pasta pakalpojums mūsu vēstules noraidīja kā "
                "surogātpastu. Esmu viņus informēj⟨is|usi⟩, un pa to laiku sūtu Jums vienreizēju pieslēgšanās kodu īsziņā.",
             x="Jūsu e-pasta pakalpojums bloķēja mūsu vēstules. Esmu nosūtīj⟨is|usi⟩ Jums vienreizēju pieslēgšanās kodu "
               "īsziņā — pēc pieslēgšanās jauno paroli varat iestatīt sadaļā Iestatījumi → Drošība.",
             xe="Pieslēdzāties ar īsziņas kodu un iestatījāt jaunu paroli — lieliski. E-pasta pakalpojums ir pievienojis mūsu "
                "adresi atļauto sarakstam, tāpēc turpmāk vēstules pienāks normāli.",
             t=["Izdevās, paldies!", "Tagad viss kārtībā, paldies."]),
    ],
)

scenario(
    "moving", category="account", group="general", esc=None, weight=4,
    prio={"normal": 6, "low": 4}, tags=["moving", "connection", "address"],
    brief="moving house, transfer of the connection", brief_ru="переезд, перенос подключения",
    notes=["Address check OK: building on GPON, flat not pre-wired.", "Move order created, installation slot booked."],
    notes_ru=["Адрес проверен: дом на GPON, в квартире нет кабеля.", "Заявка на переезд создана, визит записан."],
    esc_reasons=[],
    en=[
        dict(s=["Moving house next month", "Moving to {address2} – what do I need to do?", "Is fiber available at {address2}?"],
             o=["Hello,\n\nWe're moving to {address2} at the end of the month. Can we take our internet and TV with us? "
                "We'd like no downtime if possible.",
                "Good afternoon, is fiber available at {address2}? We move there on the 15th."],
             r="Thanks for letting us know, and congratulations on the new home! Good news: fiber is available at {address2}. "
               "Moving the service is free if your contract continues. Which date would you like the installation at the new "
               "address? The old connection will be switched off on the same day.",
             f="The 28th would be perfect, morning if possible.",
             x="All set! A technician will install your connection at {address2} on the 28th between 9:00 and 13:00 and will "
               "call you 30 minutes before arriving. Please take your router and TV box with you. Your monthly price stays the same.",
             t=["Great, thanks for the smooth process!", "Thanks, see you on the day."]),
        dict(s=["Transfer my internet to a new address", "Can I take my connection with me?", "Change of address for my services"],
             o="Hi, I'm moving to a new flat and want to keep my Baltic Net contract. What are the steps?",
             r="Of course — moving your connection is free while your contract continues. Please send me the new address and "
               "your preferred installation date, and I'll check availability.",
             f="New address is {address2}, any weekday after the 15th.",
             x="Your move is confirmed: installation at {address2} on the first weekday after the 15th, 9:00–13:00. The service "
               "at your old address will be switched off on the same day, and the new address will appear on your next invoice.",
             t=["Thanks!", "Perfect, thank you."]),
    ],
    ru=[
        dict(s=["Переезжаем в следующем месяце", "Переезд — новый адрес {address2}", "Есть ли оптика по адресу {address2}?"],
             o=["Здравствуйте!\n\nВ конце месяца мы переезжаем по адресу {address2}. Можно ли перенести туда интернет и "
                "телевидение? Хотелось бы, чтобы связь не пропадала.",
                "Здравствуйте, есть ли оптика по адресу {address2}? Мы туда переезжаем 15-го числа."],
             r="Спасибо, что сообщили, и поздравляем с новосельем! Хорошая новость: по адресу {address2} есть оптическое "
               "подключение. Перенос услуг бесплатный, если договор продолжается. На какую дату запланировать подключение на "
               "новом адресе? Старое подключение отключим в тот же день.",
             f="28-е число идеально, лучше утром.",
             x="Всё оформлено! Техник подключит услуги по адресу {address2} 28-го числа с 9:00 до 13:00 и позвонит за 30 минут "
               "до приезда. Не забудьте взять с собой роутер и ТВ-приставку. Ежемесячная плата не изменится.",
             t=["Отлично, спасибо, всё просто и понятно!", "Спасибо, ждём техника."]),
        dict(s=["Перенести интернет на новый адрес", "Можно ли забрать подключение с собой?", "Смена адреса для услуг"],
             o="Добрый день, я переезжаю в новую квартиру и хочу сохранить договор с Baltic Net. Что для этого нужно сделать?",
             r="Конечно — перенос подключения бесплатный, пока действует договор. Напишите, пожалуйста, новый адрес и удобную "
               "дату подключения, и я проверю возможность.",
             f="Новый адрес: {address2}, любой будний день после 15-го.",
             x="Переезд подтверждён: подключение по адресу {address2} в первый будний день после 15-го, с 9:00 до 13:00. В "
               "тот же день услуги по старому адресу будут отключены, а новый адрес появится в следующем счёте.",
             t=["Спасибо!", "Отлично, спасибо."]),
    ],
    lv=[
        dict(s=["Nākamajā mēnesī pārvācamies", "Pārvākšanās — jaunā adrese {address2}",
                "Vai adresē {address2} ir optiskais pieslēgums?"],
             o=["Labdien!\n\nMēneša beigās pārvācamies uz jaunu dzīvokli — {address2}. Vai tur var pārcelt mūsu internetu un "
                "televīziju? Gribētos, lai pieslēgums nepārtrūkst.",
                "Labdien! Vai adresē {address2} ir pieejams optiskais pieslēgums? Mēs tur pārvācamies 15. datumā."],
             r="Paldies, ka informējāt, un apsveicam ar jaunajām mājām! Labas ziņas: adresē {address2} ir pieejams optiskais "
               "pieslēgums. Pieslēguma pārcelšana ir bez maksas, ja līgums turpinās. Kurā datumā vēlaties pieslēgumu jaunajā "
               "adresē? Veco pieslēgumu atslēgsim tajā pašā dienā.",
             f="28. datums būtu ideāli, vēlams no rīta.",
             x="Viss kārtībā! Tehniķis ierīkos pieslēgumu adresē {address2} 28. datumā no 9:00 līdz 13:00 un piezvanīs 30 "
               "minūtes pirms ierašanās. Lūdzu, paņemiet līdzi maršrutētāju un TV dekoderi. Ikmēneša maksa nemainās.",
             t=["Lieliski, paldies par vienkāršo procesu!", "Paldies, gaidīsim tehniķi."]),
        dict(s=["Pārcelt pieslēgumu uz jaunu adresi", "Vai pieslēgumu var paņemt līdzi?", "Adreses maiņa pakalpojumiem"],
             o="Sveiki! Pārceļos uz jaunu dzīvokli un vēlos saglabāt līgumu ar Baltic Net. Kas man jādara, lai pārceltu pieslēgumu?",
             r="Protams — pieslēguma pārcelšana ir bez maksas, kamēr līgums ir spēkā. Lūdzu, uzrakstiet jauno adresi un vēlamo "
               "pieslēgšanas datumu, un es pārbaudīšu iespējas.",
             f="Jaunā adrese: {address2}, jebkura darba diena pēc 15. datuma.",
             x="Pārvākšanās apstiprināta: pieslēgums adresē {address2} pirmajā darba dienā pēc 15. datuma, no 9:00 līdz 13:00. "
               "Tajā pašā dienā pakalpojumi vecajā adresē tiks atslēgti, un jaunā adrese parādīsies nākamajā rēķinā.",
             t=["Paldies!", "Lieliski, paldies."]),
    ],
)

scenario(
    "cancellation", category="cancellation", group="billing", esc=("L3", "Billing Experts"), weight=5,
    prio={"normal": 6, "low": 3, "high": 1}, tags=["cancellation", "contract", "fee"],
    brief="contract cancellation / early termination fee", brief_ru="расторжение договора",
    notes=["Retention offer declined.", "Contract minimum term ends in March — early termination fee applies."],
    notes_ru=["От удерживающего предложения клиент отказался.", "Минимальный срок договора ещё не истёк — есть плата."],
    esc_reasons=["Customer disputes the early termination fee, L3 decision needed.",
                 "Cancellation with a fee waiver request — beyond L1 authority."],
    en=[
        dict(s=["Cancellation – moving abroad", "How to end my contract?"],
             o="Hello,\n\nI'm moving abroad in December and need to cancel my internet and TV. What's the procedure and is there a fee?",
             r="Thank you for letting us know. Your contract can be cancelled with 30 days' notice. Since your 24-month term "
               "ends in {month}, an early termination fee would apply if you cancel before that. Could you confirm the date "
               "you want the service to end?",
             f="Please end it on the last day of next month.",
             x="Your cancellation is confirmed. The service will end on the date you chose, and you'll receive a final invoice "
               "afterwards. Please return the router and TV box to any Baltic Net shop or parcel locker within 14 days.",
             t=["Thanks for the quick handling.", "OK, thank you."]),
        dict(s=["I want to cancel my contract", "Cancel internet from next month"],
             o="Please cancel my contract {acct} from the 1st of next month. Another provider has a cheaper offer.",
             r="I'm sorry to hear you want to leave. Before I process this — I can offer you a 30% discount for the next 12 "
               "months if you stay. Would that change your mind? If not, just reply and I'll proceed with the cancellation.",
             f="No thanks, please cancel.",
             x="Done — your contract will end as requested. There will be no termination fee because the minimum term has "
               "already passed. Thank you for being our customer.",
             t=["Thank you.", "OK, thanks."]),
        dict(s=["Termination fee seems wrong", "Early termination fee of {amount2}?"],
             o="Hi, I asked to cancel my contract and got an invoice with an early termination fee of {amount2}. I was told in "
               "the shop there would be no fee after 12 months.",
             r="Thank you for writing. I checked your contract: it has a 24-month minimum term, which explains the fee. I "
               "understand you were told something different in the shop, so I'd like to check the shop's notes — could you "
               "tell me roughly when and in which shop you signed?",
             f="At the shop in the Origo shopping centre, in spring last year.",
             sp="Hello, billing team here. The signed contract does have a 24-month term, but the shop's notes confirm you were "
                "told otherwise. As a goodwill gesture I've reduced the termination fee by 50%; the corrected final invoice "
                "will follow within two working days.",
             x="The shop's notes confirm you were promised a 12-month term, so I've removed the early termination fee. The "
               "corrected final invoice is in My Baltic Net.",
             xe="The corrected final invoice with the reduced fee has been sent and is also available in My Baltic Net.",
             t=["Thank you, that's acceptable.", "OK, thanks for checking."]),
    ],
    ru=[
        dict(s=["Расторжение — уезжаю за границу", "Как расторгнуть договор?"],
             o="Здравствуйте!\n\nВ декабре я уезжаю за границу, и мне нужно отказаться от интернета и ТВ. Как расторгнуть "
               "договор и есть ли плата?",
             r="Спасибо, что сообщили. Договор можно расторгнуть, предупредив за 30 дней. Так как ваш 24-месячный срок "
               "заканчивается в {month_loc}, при расторжении раньше будет начислена плата за досрочное расторжение. "
               "Подтвердите, пожалуйста, дату, с которой нужно отключить услуги.",
             f="Пожалуйста, с последнего дня следующего месяца.",
             x="Расторжение подтверждено. Услуги будут отключены в выбранную дату, после чего вы получите последний счёт. "
               "Пожалуйста, верните роутер и ТВ-приставку в любой салон Baltic Net или через пакомат в течение 14 дней.",
             t=["Спасибо за быстрое оформление.", "Хорошо, спасибо."]),
        dict(s=["Хочу расторгнуть договор", "Отключите интернет со следующего месяца"],
             o="Прошу расторгнуть договор {acct} с 1-го числа следующего месяца. У другого оператора предложение дешевле.",
             r="Жаль, что вы хотите уйти. Прежде чем оформить расторжение, могу предложить вам скидку 30% на следующие 12 "
               "месяцев, если останетесь. Может быть, это изменит ваше решение? Если нет, просто ответьте, и я оформлю расторжение.",
             f="Нет, спасибо, расторгайте.",
             x="Готово — договор будет расторгнут, как вы просили. Платы за досрочное расторжение не будет, так как "
               "минимальный срок уже истёк. Спасибо, что были нашим клиентом.",
             t=["Спасибо.", "Хорошо, спасибо."]),
        dict(s=["Неправильная плата за расторжение", "Плата за досрочное расторжение {amount2}?"],
             o="Добрый день, я ⟨подал|подала⟩ заявку на расторжение договора, и мне пришёл счёт с платой за досрочное "
               "расторжение {amount2}. В салоне мне сказали, что после 12 месяцев платы не будет.",
             r="Спасибо, что написали. Я ⟨проверил|проверила⟩ ваш договор: минимальный срок в нём 24 месяца, отсюда и плата. "
               "Понимаю, что в салоне вам сказали другое, поэтому хочу проверить записи салона — подскажите, примерно когда и "
               "в каком салоне вы подписывали договор?",
             f="В салоне в торговом центре Origo, весной прошлого года.",
             sp="Здравствуйте, отдел расчётов. В подписанном договоре действительно срок 24 месяца, но записи салона "
                "подтверждают, что вам сказали иначе. В качестве жеста доброй воли я ⟨уменьшил|уменьшила⟩ плату за "
                "досрочное расторжение на 50%, исправленный последний счёт придёт в течение двух рабочих дней.",
             x="Записи салона подтверждают, что вам обещали срок 12 месяцев, поэтому я ⟨убрал|убрала⟩ плату за досрочное "
               "расторжение. Исправленный последний счёт уже в личном кабинете.",
             xe="Исправленный последний счёт с уменьшенной платой отправлен, он также доступен в личном кабинете.",
             t=["Спасибо, так меня устраивает.", "Хорошо, спасибо, что проверили."]),
    ],
    lv=[
        dict(s=["Līguma laušana — pārceļos uz ārzemēm", "Kā izbeigt līgumu?"],
             o="Labdien!\n\nDecembrī pārceļos uz ārzemēm, un man jāatsakās no interneta un TV. Kā lauzt līgumu, un vai par to jāmaksā?",
             r="Paldies, ka informējāt! Līgumu var lauzt, brīdinot 30 dienas iepriekš. Tā kā Jūsu 24 mēnešu termiņš beidzas "
               "{month_loc}, laužot līgumu agrāk, tiks piemērota maksa par pirmstermiņa laušanu. Lūdzu, apstipriniet datumu, "
               "kad pakalpojumi jāatslēdz.",
             f="Lūdzu, ar nākamā mēneša pēdējo dienu.",
             x="Līguma laušana apstiprināta. Pakalpojumi tiks atslēgti izvēlētajā datumā, pēc tam saņemsiet pēdējo rēķinu. "
               "Lūdzu, 14 dienu laikā atgrieziet maršrutētāju un TV dekoderi jebkurā Baltic Net salonā vai pakomātā.",
             t=["Paldies par ātro noformēšanu.", "Labi, paldies."]),
        dict(s=["Vēlos lauzt līgumu", "Atslēdziet internetu no nākamā mēneša"],
             o="Lūdzu lauzt līgumu {acct} ar nākamā mēneša 1. datumu. Cits operators piedāvā lētāk.",
             r="Žēl, ka vēlaties aiziet. Pirms noformēju līguma laušanu — varu piedāvāt 30% atlaidi nākamajiem 12 mēnešiem, ja "
               "paliekat. Varbūt tas mainīs Jūsu lēmumu? Ja nē, vienkārši atbildiet, un es noformēšu līguma laušanu.",
             f="Nē, paldies, lūdzu, lauziet līgumu.",
             x="Gatavs — līgums tiks lauzts, kā lūdzāt. Maksa par pirmstermiņa laušanu netiks piemērota, jo minimālais termiņš "
               "jau ir beidzies. Paldies, ka bijāt mūsu klients!",
             t=["Paldies.", "Labi, paldies."]),
        dict(s=["Nepareiza maksa par līguma laušanu", "Maksa par pirmstermiņa laušanu {amount2}?"],
             o="Labdien! Iesniedzu līguma laušanas pieteikumu un saņēmu rēķinu ar maksu par pirmstermiņa laušanu {amount2} "
               "apmērā. Salonā man teica, ka pēc 12 mēnešiem maksas nebūs.",
             r="Paldies, ka uzrakstījāt! Pārbaudīju Jūsu līgumu: tajā noteikts 24 mēnešu minimālais termiņš, tāpēc arī maksa. "
               "Saprotu, ka salonā Jums teica ko citu, tāpēc vēlos pārbaudīt salona piezīmes — lūdzu, uzrakstiet, aptuveni kad "
               "un kurā salonā parakstījāt līgumu?",
             f="Salonā tirdzniecības centrā Origo, pagājušā gada pavasarī.",
             sp="Labdien, norēķinu nodaļa. Parakstītajā līgumā tiešām ir 24 mēnešu termiņš, taču salona piezīmes apstiprina, "
                "ka Jums teica citādi. Pretimnākšanas nolūkā esmu samazināj⟨is|usi⟩ maksu par pirmstermiņa laušanu par 50%, "
                "un labotais pēdējais rēķins pienāks divu darba dienu laikā.",
             x="Salona piezīmes apstiprina, ka Jums solīja 12 mēnešu termiņu, tāpēc esmu noņēm⟨is|usi⟩ maksu par pirmstermiņa "
               "laušanu. Labotais pēdējais rēķins jau ir portālā \"Mans Baltic Net\".",
             xe="Labotais pēdējais rēķins ar samazināto maksu ir nosūtīts un pieejams arī portālā \"Mans Baltic Net\".",
             t=["Paldies, tas mani apmierina.", "Labi, paldies, ka pārbaudījāt."]),
    ],
)

scenario(
    "general", category="other", group="general", esc=None, weight=4,
    prio={"low": 6, "normal": 4}, tags=["question", "plan", "upgrade"],
    brief="general question / plan change", brief_ru="общий вопрос / смена тарифа",
    notes=["Upgrade eligible, no contract restart.", "Customer asked for documents for the employer."],
    notes_ru=["Повышение тарифа доступно без продления договора.", "Клиенту нужны документы для работодателя."],
    esc_reasons=[],
    en=[
        dict(s=["Upgrade to a faster plan", "Is there anything faster than {plan}?"],
             o="Hi,\n\nWe both work from home now and {plan} isn't enough. What faster plans do you have, and would the contract "
               "period restart?",
             r="Thanks for your message! You can upgrade to Fiber 1000 for +5 EUR/month. Upgrades don't restart your contract "
               "period. Shall I switch you over? The change takes effect within an hour, no visit needed.",
             f="Yes please, go ahead.",
             x="Done! Your plan has been changed to Fiber 1000. Restart your router once to get the new speed. The new price "
               "will show on your next invoice.",
             t=["Thanks!", "Brilliant, thank you."]),
        dict(s=["Do you offer static IP?", "Static IP address for home"],
             o="Hello, do you offer a static IP address for home customers? I need it for remote access to my NAS.",
             r="Thank you for getting in touch. Yes, a static public IP is available for 4 EUR/month. Please confirm you'd like "
               "to add it and I'll activate it today.",
             f="Yes, please add it.",
             x="All set — the static IP is active. You'll find the address in My Baltic Net under \"My services\". Restart "
               "the router once so it picks it up.",
             t=["Works, thank you.", "Great, thanks."]),
        dict(s=["Need a copy of my contract", "Documents for my employer"],
             o="Good morning, could you send me a copy of my contract? I need it for my employer.",
             r="Of course — I've sent a PDF copy of your contract to your e-mail. Do you also need the latest invoice or a "
               "statement of payments?",
             f="A statement of payments for this year would be great.",
             x="Sent! You can also download invoices and payment statements any time in My Baltic Net under \"Documents\".",
             t=["Thank you!", "Got it, thanks."]),
    ],
    ru=[
        dict(s=["Перейти на более быстрый тариф", "Есть что-то быстрее {plan}?"],
             o="Здравствуйте!\n\nМы теперь оба работаем из дома, и {plan} не хватает. Какие есть тарифы побыстрее и начнётся "
               "ли срок договора заново?",
             r="Спасибо за обращение! Можно перейти на Fiber 1000 за +5 € в месяц. При повышении тарифа срок договора заново "
               "не начинается. Переключить вас? Изменение вступит в силу в течение часа, визит техника не нужен.",
             f="Да, переключайте, пожалуйста.",
             x="Готово! Ваш тариф изменён на Fiber 1000. Перезагрузите роутер один раз, чтобы получить новую скорость. Новая "
               "цена появится в следующем счёте.",
             t=["Спасибо!", "Отлично, спасибо."]),
        dict(s=["Есть ли статический IP?", "Статический IP-адрес для дома"],
             o="Добрый день, можно ли получить статический IP-адрес для домашнего подключения? Нужен для удалённого доступа к NAS.",
             r="Спасибо за вопрос. Да, статический публичный IP стоит 4 € в месяц. Подтвердите, пожалуйста, что хотите его "
               "подключить, и я активирую его сегодня.",
             f="Да, подключите, пожалуйста.",
             x="Всё готово — статический IP активен. Адрес указан в личном кабинете в разделе «Мои услуги». Перезагрузите "
               "роутер один раз, чтобы он его получил.",
             t=["Работает, спасибо.", "Отлично, спасибо."]),
        dict(s=["Нужна копия договора", "Документы для работодателя"],
             o="Доброе утро, пришлите, пожалуйста, копию моего договора. Она нужна для работодателя.",
             r="Конечно — я ⟨отправил|отправила⟩ PDF-копию договора на вашу почту. Нужен ли вам также последний счёт или "
               "выписка по платежам?",
             f="Выписка по платежам за этот год была бы очень кстати.",
             x="Отправлено! Счета и выписки по платежам также всегда можно скачать в личном кабинете в разделе «Документы».",
             t=["Спасибо!", "⟨Получил|Получила⟩, спасибо."]),
    ],
    lv=[
        dict(s=["Pāriet uz ātrāku tarifu", "Vai ir kas ātrāks par {plan}?"],
             o="Labdien!\n\nTagad abi strādājam no mājām, un {plan} vairs nepietiek. Kādi ir ātrāki tarifi, un vai līguma "
               "termiņš sāksies no jauna?",
             r="Paldies par ziņu! Varat pāriet uz Fiber 1000 par +5 EUR mēnesī. Palielinot tarifu, līguma termiņš no jauna "
               "nesākas. Vai pārslēgt? Izmaiņas stāsies spēkā stundas laikā, tehniķa vizīte nav vajadzīga.",
             f="Jā, lūdzu, pārslēdziet.",
             x="Gatavs! Jūsu tarifs nomainīts uz Fiber 1000. Vienreiz restartējiet maršrutētāju, lai iegūtu jauno ātrumu. "
               "Jaunā cena parādīsies nākamajā rēķinā.",
             t=["Paldies!", "Lieliski, paldies."]),
        dict(s=["Vai piedāvājat statisko IP?", "Statiskā IP adrese mājām"],
             o="Labdien! Vai mājas pieslēgumam var saņemt statisko IP adresi? Man tā vajadzīga attālinātai piekļuvei NAS.",
             r="Paldies par jautājumu! Jā, statiskā publiskā IP adrese maksā 4 EUR mēnesī. Lūdzu, apstipriniet, ka vēlaties to "
               "pievienot, un es to aktivizēšu šodien.",
             f="Jā, lūdzu, pievienojiet.",
             x="Viss gatavs — statiskā IP adrese ir aktīva. Adresi atradīsiet portālā \"Mans Baltic Net\" sadaļā \"Mani "
               "pakalpojumi\". Vienreiz restartējiet maršrutētāju, lai tas to saņemtu.",
             t=["Strādā, paldies.", "Lieliski, paldies."]),
        dict(s=["Vajadzīga līguma kopija", "Dokumenti darba devējam"],
             o="Labrīt! Lūdzu, atsūtiet man mana līguma kopiju. Tā vajadzīga darba devējam.",
             r="Protams — esmu nosūtīj⟨is|usi⟩ līguma PDF kopiju uz Jūsu e-pastu. Vai Jums vajag arī pēdējo rēķinu vai "
               "maksājumu izrakstu?",
             f="Maksājumu izraksts par šo gadu noderētu.",
             x="Nosūtīts! Rēķinus un maksājumu izrakstus jebkurā laikā varat lejupielādēt arī portālā \"Mans Baltic Net\" "
               "sadaļā \"Dokumenti\".",
             t=["Paldies!", "Saņēmu, paldies."]),
    ],
)

scenario(
    "technician", category="other", group="tech", esc=("L3", "Network Operations"), weight=3,
    prio={"normal": 5, "high": 4}, tags=["technician", "visit", "complaint"],
    brief="technician missed the appointment", brief_ru="техник не пришёл на визит",
    notes=["Field crew rerouted to an emergency repair, SMS to the customer failed.", "Visit re-booked as priority."],
    notes_ru=["Бригаду перебросили на аварию, SMS клиенту не ушло.", "Визит перенесён с приоритетом."],
    esc_reasons=["Second missed visit — needs field operations to guarantee the slot.",
                 "Complaint about field crew, escalate to NOC dispatch."],
    en=[
        dict(s=["Technician never showed up", "Second missed appointment!", "Nobody came for the installation"],
             o=["Hello,\n\nWe took a day off work to wait for your technician between 9:00 and 13:00 and nobody came or called. "
                "This is the second time. What's going on?",
                "The technician was supposed to come yesterday to install the TV box. He didn't show up. No call, nothing."],
             r="I'm really sorry about this. I can see the visit was cancelled by the field team because of an emergency "
               "repair, and the SMS about it wasn't sent. I can book the first available slot — {day} from 9:00 to 13:00 — "
               "and mark it as priority. Does that work?",
             f="Yes, but please make sure someone actually comes this time.",
             sp="Hello, network operations here. I've personally confirmed the visit with the field crew lead for {day}, first "
                "slot. The technician will call you when he leaves for your address.",
             x="The technician has completed the work and everything is active. As an apology for the missed visit, we've "
               "added a 10 EUR credit to your next invoice.",
             t=["Thanks, it's all working now.", "OK, thank you for the credit."]),
    ],
    ru=[
        dict(s=["Техник так и не пришёл", "Второй раз сорвали визит!", "Никто не пришёл на подключение"],
             o=["Здравствуйте!\n\nМы специально взяли выходной, чтобы ждать техника с 9:00 до 13:00, а никто не пришёл и не "
                "позвонил. Это уже второй раз. Что происходит?",
                "Техник должен был вчера прийти установить ТВ-приставку. Не пришёл, не позвонил, ничего."],
             r="Приношу искренние извинения. Вижу, что визит отменила выездная бригада из-за срочного аварийного ремонта, а "
               "SMS об этом не было отправлено. Могу записать вас на ближайшее время — {day} с 9:00 до 13:00 — с приоритетом. Подходит?",
             f="Да, но проследите, пожалуйста, чтобы в этот раз кто-то действительно пришёл.",
             sp="Здравствуйте, сетевой отдел. Я лично ⟨подтвердил|подтвердила⟩ визит у бригадира на {day}, первым в списке. "
                "Техник позвонит вам, когда выедет к вам.",
             x="Техник выполнил работу, всё подключено. В качестве извинения за сорванный визит мы добавили кредит 10 € в "
               "ваш следующий счёт.",
             t=["Спасибо, теперь всё работает.", "Хорошо, спасибо за компенсацию."]),
    ],
    lv=[
        dict(s=["Tehniķis tā arī neieradās", "Otrreiz izjaukta vizīte!", "Uz pieslēgšanu neviens neatnāca"],
             o=["Labdien!\n\nSpeciāli paņēmām brīvdienu, lai no 9:00 līdz 13:00 gaidītu tehniķi, bet neviens neatnāca un "
                "nepiezvanīja. Tā jau ir otrā reize. Kas notiek?",
                "Tehniķim vakar vajadzēja atnākt uzstādīt TV dekoderi. Neatnāca, nepiezvanīja, nekā."],
             r="Patiesi atvainojos! Redzu, ka vizīti atcēla izbraukuma brigāde steidzama avārijas remonta dēļ, un īsziņa par "
               "to netika nosūtīta. Varu Jūs pierakstīt uz tuvāko laiku — {day} no 9:00 līdz 13:00 — ar prioritāti. Vai der?",
             f="Jā, bet, lūdzu, parūpējieties, lai šoreiz kāds tiešām atnāk.",
             sp="Labdien, tīkla nodaļa. Esmu personīgi apstiprināj⟨is|usi⟩ vizīti pie brigādes vadītāja uz {day}, pirmo "
                "sarakstā. Tehniķis piezvanīs, kad dosies pie Jums.",
             x="Tehniķis ir pabeidzis darbu, un viss ir pieslēgts. Atvainojoties par izjaukto vizīti, nākamajā rēķinā esam "
               "pievienojuši 10 EUR kredītu.",
             t=["Paldies, tagad viss strādā.", "Labi, paldies par kompensāciju."]),
    ],
)

# messages used when a solved ticket is reopened and solved again
REOPEN_DONE = {
    "en": {
        "tech": ["I've re-run the line diagnostics and re-applied the configuration on our side; the connection has now "
                 "been stable for several hours. I'll keep an eye on it for the next few days.",
                 "This time we replaced the equipment on our side and a technician checked the wiring in the stairwell. "
                 "The line has been clean for 24 hours now."],
        "billing": ["I've checked with accounting: the correction hadn't been posted. It's done now and you'll see it on "
                    "your account within 2–3 business days.",
                    "I've passed the correction to the head of billing and it has now been posted; we've also added a small "
                    "goodwill credit for the trouble."],
        "general": ["I've re-applied the change and confirmed that this time it's active in our system.",
                    "It turned out an automatic job had overwritten the change. I've applied it again and locked it, so it "
                    "will stay this time."],
    },
    "ru": {
        "tech": ["Я заново ⟨провёл|провела⟩ диагностику линии и повторно ⟨применил|применила⟩ настройки с нашей стороны; "
                 "соединение уже несколько часов стабильно. Буду следить за линией ещё несколько дней.",
                 "На этот раз мы заменили оборудование на нашей стороне, а техник проверил проводку в подъезде. Линия уже "
                 "сутки работает без ошибок."],
        "billing": ["Я ⟨уточнил|уточнила⟩ в бухгалтерии: исправление не было проведено. Теперь всё сделано, изменения "
                    "появятся на вашем договоре в течение 2–3 рабочих дней.",
                    "Я ⟨передал|передала⟩ исправление руководителю отдела расчётов, теперь оно проведено; также мы добавили "
                    "небольшой кредит в качестве извинения."],
        "general": ["Я заново ⟨применил|применила⟩ изменение и ⟨проверил|проверила⟩, что на этот раз оно активно в нашей системе.",
                    "Оказалось, изменение было перезаписано автоматическим заданием. Я ⟨применил|применила⟩ его снова и "
                    "⟨закрепил|закрепила⟩, теперь оно сохранится."],
    },
    "lv": {
        "tech": ["Esmu atkārtoti ⟨veicis|veikusi⟩ līnijas diagnostiku un no jauna pielietoj⟨is|usi⟩ konfigurāciju no mūsu "
                 "puses; savienojums jau vairākas stundas ir stabils. Nākamās dienas turpināšu sekot līnijai.",
                 "Šoreiz nomainījām iekārtas mūsu pusē, un tehniķis pārbaudīja vadojumu kāpņutelpā. Līnija jau diennakti "
                 "darbojas bez kļūdām."],
        "billing": ["Pārbaudīju kopā ar grāmatvedību: labojums nebija ievadīts. Tagad tas ir izdarīts, un izmaiņas Jūsu "
                    "līgumā būs redzamas 2–3 darba dienu laikā.",
                    "Labojumu nodevu norēķinu nodaļas vadītājai, un tagad tas ir ievadīts; pievienojām arī nelielu kredītu "
                    "kā atvainošanos."],
        "general": ["Izmaiņas esmu ievadīj⟨is|usi⟩ vēlreiz un pārbaudīju, ka šoreiz tās mūsu sistēmā ir aktīvas.",
                    "Izrādījās, ka izmaiņas pārrakstīja automātisks uzdevums. Esmu tās ievadīj⟨is|usi⟩ vēlreiz un "
                    "nofiksēj⟨is|usi⟩, tāpēc šoreiz tās saglabāsies."],
    },
}

# --------------------------------------------------------------------------
# tickets with deliberately hostile-looking text (a UI must render it literally)
# --------------------------------------------------------------------------

LONG_RU_SUBJECT = ("Уже третий раз пишу: интернет каждый вечер пропадает с 19:00 до 23:00, техник приходил два раза, "
                   "роутер меняли, кабель проверяли, но ничего не изменилось — прошу наконец разобраться и сделать "
                   "перерасчёт за все дни без связи")

HOSTILE = [
    dict(status="open", lang="en", scenario="double_charge", thread=0, channel="email", tags=["markup"],
         subject="[bold]URGENT[/bold] invoice",
         open="[bold]URGENT[/bold] — I was charged twice for my invoice AGAIN. [red]Third time this year![/red] "
              "Please call me back today."),
    dict(status="new", lang="en", scenario="general", thread=0, channel="email", tags=["phishing", "markup"],
         subject="Weird link in your newsletter: [@click=app.quit]click me[/]",
         open="Hi, your last newsletter contained this text instead of a button: [@click=app.quit]click me[/] — is this "
              "a phishing attempt or a bug on your side? I didn't click it."),
    dict(status="solved", lang="en", scenario="router_broken", thread=0, channel="chat", tags=["emoji"],
         subject="Router 🔥 again",
         open="The router is burning hot again 🔥🔥 and keeps restarting. 😡 Third time this month! Can you just send me a new one?"),
    dict(status="open", lang="ru", scenario="slow_speed", thread=1, channel="web", tags=["complaint"],
         subject=LONG_RU_SUBJECT,
         open="Здравствуйте! Всё как в теме письма. Вечером скорость падает почти до нуля, видео не грузится, звонки в "
              "WhatsApp обрываются. Днём всё нормально. Договор {acct}."),
    dict(status="closed", lang="lv", scenario="invoice_high", thread=0, channel="email", tags=["attachment", "security"],
         subject="Rēķins pielikumā: rekins_\u202efdp.exe",
         open="Labdien! Nosūtu rēķina kopiju pielikumā: rekins_\u202efdp.exe — lūdzu, pārbaudiet, kāpēc summa ir tik liela.",
         reply="Paldies par ziņu! Drošības apsvērumu dēļ mēs neatveram izpildāmus failus — Jūsu pielikums nav PDF "
               "dokuments. Lūdzu, ierakstiet rēķina numuru un summu, par kuru jautājat, tieši atbildes vēstulē.",
         follow="Atvainojiet, dators izdarīja kaut ko dīvainu. Rēķins Nr. 118834, summa {amount2}, lai gan parasti maksāju {amount}.",
         note="Attachment name contains a right-to-left override (U+202E) — the real extension is .exe. Did NOT open it, "
              "file quarantined. Asked for the invoice number in plain text."),
    dict(status="pending", lang="en", scenario="no_internet", thread=0, channel="web", tags=["log"],
         subject="Modem log shows \x1b[31mred\x1b[0m errors",
         open="Hi, I'm a developer and copied this from the router's diagnostics page:\n\n"
              "    [ONT] link state: \x1b[31mDOWN\x1b[0m\n"
              "    [ONT] rx power:   \x1b[31m-31.2 dBm\x1b[0m\n"
              "    [PPP] session:    \x1b[32mOK\x1b[0m\n\n"
              "Looks like the optical level is too low? Everything shows \x1b[31mred\x1b[0m."),
]

# --------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------

ELINA_GONE = 11 * 1440 + 300  # Elīna left ~11 days ago: none of her messages is newer than this
SEG_WEIGHT = {"vip": 3.0, "business": 2.0, "standard": 1.0}


def pick(rng, v):
    return rng.choice(v) if isinstance(v, list) else v


def rint(rng, a, b):
    return rng.randint(int(a), int(b))


class Planner:
    def __init__(self, rng, customers, meta):
        self.rng, self.customers, self.meta = rng, customers, meta
        self.used = Counter()
        self.subjects = Counter()

    def customer(self, langs):
        pool = [c for c in self.customers if c["language"] in langs]
        w = [SEG_WEIGHT[c["segment"]] / (1 + 0.7 * self.used[c["email"]]) for c in pool]
        c = self.rng.choices(pool, w)[0]
        self.used[c["email"]] += 1
        return c

    def agent(self, team, lang, exclude=(), demo_weight=0.0):
        cands, w = [], []
        for h, m in self.meta.items():
            if m["team"] != team or not m["active"] or m["role"] == "admin" or h in exclude:
                continue
            if lang not in m["langs"]:
                continue
            weight = 0.3 if m["role"] == "lead" else 1.0
            if h == "demo":
                weight = demo_weight
            if weight > 0:
                cands.append(h)
                w.append(weight)
        return self.rng.choices(cands, w)[0]

    def scenario(self, lang, need_esc):
        keys = [k for k, s in SCENARIOS.items() if not need_esc or any("sp" in t for t in s[lang])]
        return self.rng.choices(keys, [SCENARIOS[k]["weight"] for k in keys])[0]

    def subject(self, choices):
        best = min(self.subjects[c] for c in choices)
        s = self.rng.choice([c for c in choices if self.subjects[c] == best])
        self.subjects[s] += 1
        return s


def plan_specs(rng):
    specs = []

    def add(status, n=1, **kw):
        for _ in range(n):
            specs.append(dict(status=status, **kw))

    # --- new (18): 15 unassigned, 3 assigned; some clearly breaching SLA, some fresh
    add("new", created=6 * 60 + rint(rng, 3, 25), priority="urgent", scenario="no_internet", unassigned=True)
    add("new", created=3 * 1440 + rint(rng, 20, 200), priority="normal", scenario="invoice_high", unassigned=True)
    add("new", created=1440 + rint(rng, 90, 200), priority="high", scenario="payment_missing", unassigned=True)
    add("new", created=4 * 1440 + rint(rng, 200, 400), priority="low", scenario="general", unassigned=True)
    for age in (4, 13, 27, 41, 58):
        add("new", created=age + rint(rng, 0, 1), unassigned=True)
    add("new", created=rint(rng, 100, 160), unassigned=True, hostile=1)
    for _ in range(5):
        add("new", created=rint(rng, 70, 1100), unassigned=True)
    add("new", created=rint(rng, 30, 200), agent="demo")
    add("new", created=rint(rng, 40, 600))
    add("new", created=rint(rng, 90, 900))
    # --- open (34)
    add("open", 2, agent="demo")
    add("open", 2, agent="elina")
    add("open", 4, reopen=1)
    add("open", 8, escalated=True)
    add("open", hostile=0)
    add("open", hostile=3)
    add("open", 16)
    # --- pending (22)
    add("pending", 2, agent="demo")
    add("pending", 2, agent="elina")
    add("pending", 4, escalated=True)
    add("pending", hostile=5)
    add("pending", 13)
    # --- on hold (14)
    add("on_hold", agent="demo")
    add("on_hold", 8, escalated=True)
    add("on_hold", 5)
    # --- solved (82)
    add("solved", 8, escalated=True)
    add("solved", 4, reopen=1)
    add("solved", hostile=2)
    add("solved", 2, agent="demo")
    add("solved", 67)
    # --- closed (172)
    add("closed", 16, escalated=True)
    add("closed", 7, reopen=1)
    add("closed", 2, reopen=2)
    add("closed", 8, agent="elina")
    add("closed", 3, agent="demo")
    add("closed", hostile=4)
    add("closed", 135)
    return specs


def resolve_spec(pl: Planner, spec):
    """Fill in customer, scenario, thread, priority, channel, team and agents."""
    rng = pl.rng
    hostile = HOSTILE[spec["hostile"]] if "hostile" in spec else None
    esc = spec.get("escalated", False)
    if hostile:
        langs = (hostile["lang"],)
    elif spec.get("agent") in ("demo", "elina"):
        langs = ("en", "lv")
    else:
        langs = ("en", "ru", "lv")
    cust = pl.customer(langs)
    lang = cust["language"]
    key = hostile["scenario"] if hostile else spec.get("scenario") or pl.scenario(lang, esc)
    sc = SCENARIOS[key]
    threads = sc[lang]
    if hostile:
        th = threads[hostile["thread"]]
    else:
        th = rng.choice([t for t in threads if "sp" in t] if esc else threads)
    prio = spec.get("priority")
    if not prio:
        prio = rng.choices(list(sc["prio"]), list(sc["prio"].values()))[0]
        if cust["segment"] == "vip" and prio in ("low", "normal") and rng.random() < 0.5:
            prio = "high" if prio == "normal" else "normal"
        elif cust["segment"] == "business" and prio == "low" and rng.random() < 0.5:
            prio = "normal"
    if hostile:
        channel = hostile["channel"]
    elif rng.random() < 0.55:
        channel = cust["preferred_channel"]
    else:
        channel = rng.choices(["email", "chat", "phone", "web"], [40, 25, 20, 15])[0]
    if spec.get("reopen", 0) >= 2 and channel == "phone":
        channel = "email"
    status = spec["status"]
    l1team = FRONTLINE[lang]
    if esc:
        tier, team = th.get("esc") or sc["esc"]
        l1 = pl.agent(l1team, lang, exclude={"elina"}, demo_weight=0.4)
        assignee = pl.agent(team, lang)
    else:
        tier, team = "L1", l1team
        if spec.get("agent"):
            assignee = spec["agent"]
        elif spec.get("unassigned"):
            assignee = None
        else:
            open_like = status in ("new", "open", "pending", "on_hold")
            assignee = pl.agent(team, lang, exclude={"elina"}, demo_weight=0.0 if open_like else 0.5)
        l1 = assignee
    spec.update(customer=cust, lang=lang, scenario=key, thread=th, priority=prio, channel=channel,
                tier=tier, team=team, l1team=l1team, l1=l1, assignee=assignee, escalated=esc,
                reopen=spec.get("reopen", 0), hostile_def=hostile)
    return spec


# --------------------------------------------------------------------------
# building one ticket
# --------------------------------------------------------------------------

def g_first(rng, prio, breach):
    lo, hi = {"urgent": (2, 25), "high": (8, 55), "normal": (15, 210), "low": (40, 1100)}[prio]
    v = rint(rng, lo, hi)
    return v * rint(rng, 3, 7) + rint(rng, 30, 240) if breach else v


def g_agent(rng, prio):
    lo, hi = {"urgent": (5, 60), "high": (15, 180), "normal": (30, 600), "low": (60, 1440)}[prio]
    return rint(rng, lo, hi)


def g_l2(rng, prio):
    lo, hi = {"urgent": (10, 90), "high": (30, 300), "normal": (60, 1440), "low": (180, 2880)}[prio]
    return rint(rng, lo, hi)


def g_cust(rng):
    r = rng.random()
    return rint(rng, 3, 40) if r < 0.35 else rint(rng, 40, 300) if r < 0.7 else rint(rng, 300, 1500)


def pick_E(rng, status):
    r = rng.random()
    if status == "open":
        return rint(rng, 5, 360) if r < 0.45 else rint(rng, 360, 2880) if r < 0.8 else rint(rng, 2880, 6500)
    if status == "pending":
        return rint(rng, 60, 720) if r < 0.4 else rint(rng, 720, 8640)
    if status == "on_hold":
        return rint(rng, 180, 10080)
    if status == "solved":
        return rint(rng, 15, 4320)
    # closed: age of the closing moment
    return rint(rng, 400, 5760) if r < 0.35 else rint(rng, 5760, 20160) if r < 0.75 else rint(rng, 20160, 33000)


LEAD_GREETING = re.compile(r"^(Hello|Hi|Здравствуйте|Добрый день|Labdien|Sveiki)[,!]\s*")
LEAD_THANKS = re.compile(r"^(Thanks|Thank you|Спасибо|Paldies)[^.!]*[.!]\s+")


def strip_lead(regex, text: str) -> str:
    out = regex.sub("", text, count=1)
    return out[:1].upper() + out[1:] if out != text else text


def strip_greeting(body: str) -> str:
    parts = body.split("\n\n", 1)
    if len(parts) == 2 and len(parts[0]) <= 22 and parts[0].rstrip().endswith((",", "!")):
        return parts[1]
    return body


def build_ticket(rng, spec, meta, pl: Planner):
    c, lang = spec["customer"], spec["lang"]
    cg, G, sc, th = c["_gender"], GEN[lang], SCENARIOS[spec["scenario"]], spec["thread"]
    status, prio, channel = spec["status"], spec["priority"], spec["channel"]
    esc, A1, A = spec["escalated"], spec["l1"], spec["assignee"]
    A2 = A if esc else A1
    hd = spec["hostile_def"] or {}
    group = sc["group"]
    slots = make_slots(rng, lang, c)
    greet_name = lv_vocative(c["_first"], cg) if lang == "lv" else c["_first"]
    breach = rng.random() < 0.1
    evs = []

    def R(text, gender):
        return gendered(pick(rng, text), gender).format_map(slots)

    def ev(author, body, gap, internal=False, opt=0, kind="msg"):
        evs.append({"author": author, "internal": internal, "body": body, "gap": int(gap), "opt": opt, "kind": kind})

    def cust(text, gap, first=False, opt=0):
        body = R(text, cg)
        if channel in ("phone", "chat"):
            body = strip_greeting(body)
        elif rng.random() < (0.55 if first else 0.25):
            body += rng.choice(G["cust_sign"]).format(first=c["_first"], full=c["name"])
        ev("customer", body, gap, opt=opt)

    def agent(h, text, gap, internal=False, opt=0, kind="msg", prefix=None):
        m = meta[h]
        body = R(text, m["gender"])
        if not internal:
            if prefix:
                if prefix is phone_prefix:
                    body = strip_lead(LEAD_THANKS, body)
                body = R(prefix, m["gender"]) + "\n\n" + body
            if channel != "chat":
                body = strip_lead(LEAD_GREETING, body)
                body = (rng.choice(G["greet"]).format(first=greet_name) + "\n\n" + body + "\n\n"
                        + rng.choice(G["signoff"]).format(agent=m["sign"][lang]))
        ev(f"agent:{h}", body, gap, internal=internal, opt=opt, kind=kind)

    def note_text(h, pool_en, pool_ru):
        if meta[h]["team"] == "Frontline RU" and pool_ru and rng.random() < 0.5:
            return rng.choice(pool_ru)
        return rng.choice(pool_en)

    def marker(kind, gap):
        evs.append({"author": None, "internal": False, "body": "", "gap": int(gap), "opt": 0, "kind": kind})

    # ---- opening
    open_text = hd.get("open") or th["o"]
    phone_prefix = None
    if channel == "phone":
        if status == "new":
            ev("system", f"Missed call from {c['phone']}. Voicemail transcribed automatically.", 0)
        else:
            mm, ss = rint(rng, 2, 14), rint(rng, 0, 59)
            ev("system", f"Inbound call from {c['phone']}, {mm} min {ss} s. Answered by {meta[A1]['name']}.", 0)
        cust(open_text, 1, first=True)
        if status != "new":
            if meta[A1]["team"] == "Frontline RU" and rng.random() < 0.5:
                summary = f"Итоги звонка: {sc['brief_ru']}. " + rng.choice(CALL_EXTRA["ru"])
            else:
                summary = f"Call summary: {sc['brief']}. " + rng.choice(CALL_EXTRA["en"])
            agent(A1, summary, mm + 1, internal=True, opt=2)
            phone_prefix = G["phone_followup"]
    else:
        cust(open_text, 0, first=True)

    reopen = spec["reopen"]
    reason = None

    def solve_tail(fix_author):
        texts = rng.sample(G["reopen"][group], reopen)
        prefixes = rng.sample(G["reopen_fix"], reopen)
        for k in range(reopen):
            cust(texts[k], rint(rng, 90, 2880))
            agent(fix_author, REOPEN_DONE[lang][group][k], g_agent(rng, prio), prefix=prefixes[k])
        if rng.random() < 0.45:
            cust(th.get("t") or G["thanks"], rint(rng, 3, 360), opt=4)
            if rng.random() < 0.5:
                agent(fix_author, G["close_ok"], rint(rng, 5, 180), opt=3)
        marker("solved", rint(rng, 1, 20))
        if status == "closed":
            if rng.random() < 0.65:
                gap = 4 * 1440 + rint(rng, 0, 45)
                if rng.random() < 0.5 and sum(1 for e in evs if e["author"]) <= 7:
                    ev("system", "Ticket closed automatically: no reply from the customer for 4 days after it was solved.",
                       gap, kind="closed")
                    return
                marker("closed", gap)
            else:
                marker("closed", rint(rng, 30, 1440))

    if status == "new":
        if spec["created"] >= 5 * 60:
            cust(G["bump"], int(spec["created"] * rng.uniform(0.35, 0.8)))
    else:
        agent(A1, hd.get("reply") or th["r"], g_first(rng, prio, breach), prefix=phone_prefix)
        if hd.get("note"):
            agent(A1, hd["note"], rint(rng, 2, 10), internal=True)
        elif rng.random() < 0.3:
            agent(A1, note_text(A1, sc["notes"], sc["notes_ru"]), rint(rng, 2, 20), internal=True, opt=1)
        follow = hd.get("follow") or th["f"]
        if esc:
            team, tier = spec["team"], spec["tier"]
            cust(follow, g_cust(rng))
            reason = rng.choice(sc["esc_reasons"])
            agent(A1, f"Escalating to {team} ({tier}): {reason}", rint(rng, 5, 120), internal=True, kind="esc")
            ev("system", f"Escalated from L1 ({spec['l1team']}) to {tier} ({team}).", 1, opt=2)
            if rng.random() < 0.6:
                agent(A1, G["esc_public"].replace("{team}", TEAM_WORDS[lang][team]), rint(rng, 2, 10), opt=1)
            agent(A2, th["sp"], g_l2(rng, prio))
            if status == "open":
                cust(G["cust_ack"], g_cust(rng))
            elif status == "on_hold":
                agent(A2, G["hold_public"][group], g_agent(rng, prio))
                agent(A2, rng.choice(HOLD_NOTES[group]), rint(rng, 1, 5), internal=True)
            elif status in ("solved", "closed"):
                if rng.random() < 0.35:
                    cust(G["cust_ack"], g_cust(rng), opt=1)
                agent(A2, th.get("xe") or th["x"], g_l2(rng, prio))
                solve_tail(A2)
        elif status == "open":
            if A1 == "elina":
                cust(follow, g_cust(rng))
                cust(G["bump"], rint(rng, 10 * 1440, 12 * 1440))
            elif reopen:
                cust(follow, g_cust(rng))
                agent(A1, th["x"], g_agent(rng, prio))
                cust(G["reopen"][group], rint(rng, 90, 2880))
            else:
                cust(follow, g_cust(rng))
        elif status == "pending":
            if A1 != "elina" and not hd and rng.random() < 0.45:
                cust(follow, g_cust(rng))
                agent(A1, G["ask_more"][group], g_agent(rng, prio))
        elif status == "on_hold":
            if rng.random() < 0.6:
                cust(follow, g_cust(rng))
            agent(A1, G["hold_public"][group], g_agent(rng, prio))
            agent(A1, rng.choice(HOLD_NOTES[group]), rint(rng, 1, 5), internal=True)
        else:
            cust(follow, g_cust(rng))
            agent(A1, th["x"], g_agent(rng, prio))
            solve_tail(A1)

    # ---- at most 8 messages: drop optional events, least important first
    def n_msgs():
        return sum(1 for e in evs if e["kind"] not in ("solved", "closed") or e["author"])
    for level in (1, 2, 3, 4):
        while n_msgs() > 8 and any(e["opt"] == level for e in evs):
            idx = max(i for i, e in enumerate(evs) if e["opt"] == level)
            evs.pop(idx)
    if n_msgs() > 8:
        return None

    # ---- timing (minutes before "now")
    gaps = [0] + [max(1, e["gap"]) for e in evs[1:]]
    span = sum(gaps)
    if status == "new":
        C = spec["created"]
        if span > C - 1:
            raise AssertionError("new ticket does not fit")
    else:
        E = pick_E(rng, status)
        if A1 == "elina" and status == "pending":
            E = rint(rng, ELINA_GONE + 60, ELINA_GONE + 5 * 1440)
        elif A1 == "elina" and status == "open":
            E = rint(rng, 180, 2880)
        elif A1 == "elina" and status == "closed":
            E = max(E, ELINA_GONE + rint(rng, 60, 2000))
        C = E + span
    times, t = [], C
    for g in gaps:
        t -= g
        times.append(t)
    el = [times[i] for i, e in enumerate(evs) if e["author"] == "agent:elina"]
    if el and min(el) < ELINA_GONE:
        delta = ELINA_GONE - min(el) + rint(rng, 60, 2880)
        C += delta
        times = [x + delta for x in times]
    assert times[-1] >= 1, (status, times)

    # ---- assemble
    messages, first_response, solved, closed, esc_at = [], None, None, None, None
    for e, tm in zip(evs, times):
        if e["kind"] == "solved":
            solved = tm
            continue
        if e["kind"] == "closed":
            closed = tm
            if e["author"] is None:
                continue
        if e["kind"] == "esc":
            esc_at = tm
        if e["author"] and e["author"].startswith("agent:") and not e["internal"] and first_response is None:
            first_response = tm
        messages.append({"author": e["author"], "internal": e["internal"], "body": e["body"], "at": fmt_offset(tm)})

    subject = hd.get("subject") or pl.subject([gendered(s, cg).format_map(slots) for s in th["s"]])
    tags = [sc["tags"][0]] + rng.sample(sc["tags"][1:], k=min(len(sc["tags"]) - 1, rint(rng, 1, 2)))
    if c["segment"] in ("vip", "business"):
        tags.append(c["segment"])
    if reopen:
        tags.append("reopened")
    if esc:
        tags.append("escalated")
    tags += hd.get("tags", [])
    tags = list(dict.fromkeys(tags))

    csat = None
    if spec.get("csat"):
        bad = reopen > 0 or breach
        score = rng.choices([1, 2, 3, 4, 5], [20, 20, 25, 20, 15] if bad else [8, 8, 12, 25, 47])[0]
        comment = "" if rng.random() < 0.1 else gendered(rng.choice(G["csat"][score]), cg)
        csat = {"score": score, "comment": comment}

    return {
        "subject": subject,
        "customer": c["email"],
        "channel": channel,
        "status": status,
        "priority": prio,
        "category": sc["category"],
        "tier": spec["tier"],
        "team": spec["team"],
        "assignee": A,
        "tags": tags,
        "created": fmt_offset(C),
        "first_response": fmt_offset(first_response) if first_response else None,
        "solved": fmt_offset(solved) if solved else None,
        "closed": fmt_offset(closed) if closed else None,
        "reopen_count": reopen,
        "csat": csat,
        "escalation": ({"from_tier": "L1", "reason": reason, "by": A1, "at": fmt_offset(esc_at)} if esc else None),
        "messages": messages,
        "_created_min": C,
    }


def build_tickets(rng, customers, meta):
    pl = Planner(rng, customers, meta)
    specs = plan_specs(rng)
    for s in specs:
        if s["status"] == "solved":
            s["csat"] = rng.random() < 0.32
        elif s["status"] == "closed":
            s["csat"] = rng.random() < 0.45
    tickets = []
    for spec in specs:
        resolve_spec(pl, spec)
        t = build_ticket(rng, spec, meta, pl)
        if t is None:  # too many messages — retry as a plain e-mail ticket
            spec["channel"] = "email"
            t = build_ticket(rng, spec, meta, pl)
        assert t is not None
        tickets.append(t)
    tickets.sort(key=lambda t: -t["_created_min"])
    for t in tickets:
        del t["_created_min"]
    return tickets


# --------------------------------------------------------------------------
# generate
# --------------------------------------------------------------------------

def generate():
    rng = random.Random(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    agents, meta = build_agents()
    customers = build_customers(rng)
    tickets = build_tickets(rng, customers, meta)
    dump_json(OUT / "teams.json", TEAMS)
    dump_json(OUT / "agents.json", agents)
    dump_json(OUT / "sla_policies.json", SLA_POLICIES)
    with open(OUT / "customers.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CSV_HEADER)
        for c in customers:
            w.writerow([c[k] for k in CSV_HEADER])
    dump_json(OUT / "tickets.json", tickets)


# --------------------------------------------------------------------------
# validate (reads everything back from disk, so it also checks hand edits)
# --------------------------------------------------------------------------

CHANNELS = {"email", "phone", "chat", "web"}
STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"]
PRIORITIES = ["low", "normal", "high", "urgent"]
TIERS = ["L1", "L2", "L3"]
CATEGORIES = {"billing", "connectivity", "account", "hardware", "tv", "mobile", "cancellation", "other"}
TEMPLATE_VARS = {"customer.name", "customer.first_name", "ticket.id", "ticket.subject", "ticket.priority",
                 "ticket.resolution_due", "agent.name", "agent.signature", "article.title", "article.link"}
CYRILLIC = re.compile(r"[а-яё]", re.I)
LV_CHARS = re.compile(r"[āčēģīķļņšūž]", re.I)


def parse_front_matter(text: str, path: Path, errors: list):
    if not text.startswith("---\n"):
        errors.append(f"{path.name}: missing front matter")
        return {}, ""
    end = text.find("\n---\n", 4)
    if end < 0:
        errors.append(f"{path.name}: unterminated front matter")
        return {}, ""
    meta = {}
    for line in text[4:end].splitlines():
        if not line.strip():
            continue
        if ":" not in line:
            errors.append(f"{path.name}: bad front matter line {line!r}")
            continue
        k, v = line.split(":", 1)
        k, v = k.strip(), v.strip()
        if k != "tags" and (": " in v or " #" in v or v[:1] in "\"'[]{}&*!|>%@`#,?-"):
            errors.append(f"{path.name}: value of {k!r} is not a plain YAML scalar: {v!r}")
        meta[k] = v
    return meta, text[end + 5:]


def validate() -> bool:
    errors, warnings = [], []

    def err(msg):
        errors.append(msg)

    # ---- teams
    teams = json.loads((OUT / "teams.json").read_text(encoding="utf-8"))
    team_tier = {}
    for t in teams:
        if set(t) != {"name", "tier", "description"} or t["tier"] not in TIERS:
            err(f"team {t} malformed")
        team_tier[t["name"]] = t["tier"]
    if len(team_tier) != len(teams) or len(teams) < 4 or set(team_tier.values()) != set(TIERS):
        err("teams: need >= 4 unique teams covering L1, L2, L3")
    first_l1 = next(t["name"] for t in teams if t["tier"] == "L1")

    # ---- agents
    agents = json.loads((OUT / "agents.json").read_text(encoding="utf-8"))
    ag = {}
    keys = {"handle", "name", "email", "role", "tier", "team", "active", "signature"}
    for a in agents:
        if set(a) != keys:
            err(f"agent {a.get('handle')}: keys {sorted(a)}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", a["handle"]) or a["handle"] in ag:
            err(f"agent handle {a['handle']!r} invalid or duplicate")
        if a["team"] not in team_tier or team_tier[a["team"]] != a["tier"]:
            err(f"agent {a['handle']}: tier/team mismatch")
        if a["role"] not in ("operator", "lead", "admin") or not isinstance(a["active"], bool):
            err(f"agent {a['handle']}: bad role/active")
        ag[a["handle"]] = a
    if len(agents) < 14:
        err("fewer than 14 agents")
    for team in team_tier:
        roles = [a["role"] for a in agents if a["team"] == team]
        if "lead" not in roles or "operator" not in roles:
            err(f"team {team} needs a lead and operators")
    if not 1 <= sum(a["role"] == "admin" for a in agents) <= 2:
        err("need one or two admins")
    inactive = [a["handle"] for a in agents if not a["active"]]
    if not inactive:
        err("need an inactive agent")
    d = ag.get("demo")
    if not d or d["name"] != "Demo Operator" or d["role"] != "operator" or d["tier"] != "L1" \
            or d["team"] != first_l1 or not d["active"]:
        err("demo agent must be an active L1 operator named 'Demo Operator' on the first L1 team")
    for h, role, tier in (("olga", "operator", "L1"), ("ivan", "operator", "L1"), ("anna", "lead", "L1"),
                          ("admin", "admin", None)):
        if h not in ag or ag[h]["role"] != role or (tier and ag[h]["tier"] != tier):
            err(f"required agent {h} ({role}) missing or wrong")

    # ---- customers
    with open(OUT / "customers.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    if header != CSV_HEADER:
        err(f"customers.csv header is {header}")
    cust = {}
    for r in rows:
        e = r["email"]
        if e != e.lower() or e in cust or "@" not in e:
            err(f"customer email {e!r} invalid or duplicate")
        if r["language"] not in ("en", "ru", "lv") or r["preferred_channel"] not in CHANNELS \
                or r["segment"] not in ("standard", "vip", "business"):
            err(f"customer {e}: bad enum value")
        if not re.fullmatch(r"\+371 2\d{7}", r["phone"]):
            err(f"customer {e}: bad phone {r['phone']}")
        if r["language"] == "ru" and not CYRILLIC.search(r["name"]):
            err(f"customer {e}: Russian customer without Cyrillic name")
        cust[e] = r
    langs = Counter(r["language"] for r in rows)
    segs = Counter(r["segment"] for r in rows)
    if len(rows) < 70 or min(langs[l] for l in ("en", "ru", "lv")) < len(rows) * 0.25:
        err(f"customers: need >= 70 spread over en/ru/lv, got {dict(langs)}")
    if not 0.05 <= segs["vip"] / len(rows) <= 0.15:
        err(f"customers: vip share {segs['vip']}/{len(rows)}")

    # ---- SLA
    sla = json.loads((OUT / "sla_policies.json").read_text(encoding="utf-8"))
    base = [p["priority"] for p in sla if "segment" not in p]
    if sorted(base) != sorted(PRIORITIES):
        err("sla: need exactly one base entry per priority")
    if not 1 <= sum(1 for p in sla if p.get("segment") == "vip") <= 2:
        err("sla: need 1 or 2 vip entries")
    for p in sla:
        for k in ("first_response", "resolution"):
            if not p.get(k) or not DURATION_RE.fullmatch(p[k]):
                err(f"sla: bad duration {p.get(k)!r}")

    # ---- tickets
    tickets = json.loads((OUT / "tickets.json").read_text(encoding="utf-8"))
    tkeys = {"subject", "customer", "channel", "status", "priority", "category", "tier", "team", "assignee", "tags",
             "created", "first_response", "solved", "closed", "reopen_count", "csat", "escalation", "messages"}
    n = len(tickets)
    cnt = {k: Counter() for k in ("channel", "status", "priority", "tier", "category")}
    subj = Counter()
    backlog = escalated = reopened = rated = unassigned_l1 = 0
    owner_open = Counter()
    scores = Counter()
    breach_urgent = breach_normal = fresh = 0
    ages_done = []
    for i, t in enumerate(tickets):
        tid = f"ticket #{i + 1} ({t.get('subject', '')[:40]!r})"
        if set(t) != tkeys:
            err(f"{tid}: keys differ: {sorted(set(t) ^ tkeys)}")
            continue
        for k in cnt:
            cnt[k][t[k]] += 1
        subj[t["subject"]] += 1
        if t["customer"] not in cust:
            err(f"{tid}: unknown customer {t['customer']}")
            continue
        lang = cust[t["customer"]]["language"]
        if t["channel"] not in CHANNELS or t["status"] not in STATUSES or t["priority"] not in PRIORITIES \
                or t["tier"] not in TIERS or t["category"] not in CATEGORIES:
            err(f"{tid}: bad enum value")
        if team_tier.get(t["team"]) != t["tier"]:
            err(f"{tid}: team {t['team']} does not serve {t['tier']}")
        if t["assignee"] is not None and (t["assignee"] not in ag or ag[t["assignee"]]["team"] != t["team"]):
            err(f"{tid}: assignee {t['assignee']} not in team {t['team']}")
        if not all(re.fullmatch(r"[a-z]+", x) for x in t["tags"]):
            err(f"{tid}: bad tags {t['tags']}")
        if not isinstance(t["reopen_count"], int) or t["reopen_count"] < 0:
            err(f"{tid}: bad reopen_count")
        try:
            created = parse_offset(t["created"])
            fr = parse_offset(t["first_response"]) if t["first_response"] else None
            solved = parse_offset(t["solved"]) if t["solved"] else None
            closed = parse_offset(t["closed"]) if t["closed"] else None
            ats = [parse_offset(m["at"]) for m in t["messages"]]
        except ValueError as ex:
            err(f"{tid}: {ex}")
            continue
        msgs = t["messages"]
        if not 1 <= len(msgs) <= 8:
            err(f"{tid}: {len(msgs)} messages")
        if msgs[0]["author"] not in ("customer", "system") or (msgs[0]["author"] == "system" and t["channel"] != "phone"):
            err(f"{tid}: first message by {msgs[0]['author']}")
        if ats[0] > created or any(b > a for a, b in zip(ats, ats[1:])):
            err(f"{tid}: messages not chronological")
        for m in msgs:
            a = m["author"]
            if set(m) != {"author", "internal", "body", "at"} or not isinstance(m["internal"], bool) or not m["body"]:
                err(f"{tid}: malformed message")
            if a.startswith("agent:"):
                h = a[6:]
                allowed = {t["team"]} | ({ag[t["escalation"]["by"]]["team"]} if t["escalation"] else set())
                if h not in ag or ag[h]["team"] not in allowed:
                    err(f"{tid}: message author {a} not on the ticket's team(s)")
            elif a not in ("customer", "system"):
                err(f"{tid}: bad author {a}")
            if m["internal"] and not a.startswith("agent:"):
                err(f"{tid}: internal message by {a}")
            if "�" in m["body"] or "⟨" in m["body"] or "{" in m["body"]:
                err(f"{tid}: unrendered text in message")
        first_public = next((x for m, x in zip(msgs, ats) if m["author"].startswith("agent:") and not m["internal"]), None)
        if fr != first_public:
            err(f"{tid}: first_response does not match first public agent message")
        done = t["status"] in ("solved", "closed")
        if (solved is not None) != done or (closed is not None) != (t["status"] == "closed"):
            err(f"{tid}: solved/closed do not match status {t['status']}")
        if solved is not None and (fr is None or solved > fr):
            err(f"{tid}: solved before first response")
        if closed is not None and closed >= solved:
            err(f"{tid}: closed not after solved")
        if t["csat"] is not None:
            if not done or set(t["csat"]) != {"score", "comment"} or t["csat"]["score"] not in (1, 2, 3, 4, 5):
                err(f"{tid}: bad csat")
            rated += 1
            scores[t["csat"]["score"]] += 1
        e = t["escalation"]
        if e is not None:
            escalated += 1
            if t["tier"] == "L1" or e.get("from_tier") != "L1" or e.get("by") not in ag or ag[e["by"]]["tier"] != "L1":
                err(f"{tid}: bad escalation {e}")
            at = parse_offset(e["at"])
            if not any(m["internal"] and m["author"] == f"agent:{e['by']}" and e["reason"] in m["body"] and x == at
                       for m, x in zip(msgs, ats)):
                err(f"{tid}: escalation has no matching internal note")
        elif t["tier"] != "L1":
            err(f"{tid}: {t['tier']} ticket without escalation")
        if t["reopen_count"]:
            reopened += 1
            pub = [m["author"] for m in msgs if not m["internal"] and m["author"] != "system"]
            if not any(x.startswith("agent:") and y == "customer" for x, y in zip(pub, pub[1:])):
                err(f"{tid}: reopened without a customer message after an agent reply")
        # language of the conversation
        cust_text = " ".join(m["body"] for m in msgs if m["author"] == "customer") + " " + t["subject"]
        if lang == "ru" and not CYRILLIC.search(cust_text):
            err(f"{tid}: Russian customer but no Cyrillic text")
        if lang == "en" and CYRILLIC.search(cust_text):
            err(f"{tid}: English ticket with Cyrillic text")
        if lang == "lv" and not LV_CHARS.search(cust_text):
            warnings.append(f"{tid}: Latvian ticket without Latvian diacritics")
        if t["status"] in ("new", "open", "pending", "on_hold"):
            backlog += 1
            if t["assignee"]:
                owner_open[t["assignee"]] += 1
            elif t["tier"] == "L1" and t["status"] in ("new", "open"):
                unassigned_l1 += 1
            if first_public is None and t["priority"] == "urgent" and created >= 5 * 60:
                breach_urgent += 1
            if first_public is None and t["priority"] == "normal" and created >= 3 * 1440:
                breach_normal += 1
            if created <= 60:
                fresh += 1
        else:
            ages_done.append(created)

    def need(cond, msg):
        if not cond:
            err(msg)

    need(n >= 320, f"only {n} tickets")
    for k, vals in (("channel", CHANNELS), ("status", STATUSES), ("priority", PRIORITIES), ("tier", TIERS)):
        need(all(cnt[k][v] >= 10 for v in vals), f"{k}: every value must appear often: {dict(cnt[k])}")
    need(70 <= backlog <= 110, f"open backlog {backlog}")
    need(escalated >= 25, f"escalated {escalated}")
    need(reopened >= 10, f"reopened {reopened}")
    need(rated >= 60 and len(scores) == 5, f"rated {rated} {dict(scores)}")
    for h in inactive:
        need(3 <= owner_open[h] <= 6, f"inactive agent {h} owns {owner_open[h]} open tickets")
    need(5 <= owner_open["demo"] <= 8, f"demo owns {owner_open['demo']} open tickets")
    need(12 <= unassigned_l1 <= 18, f"unassigned new/open L1 tickets: {unassigned_l1}")
    need(breach_urgent >= 1 and breach_normal >= 1 and fresh >= 3, "SLA breach / fresh examples missing")
    need(max(subj.values()) <= 3, f"subject repeated: {subj.most_common(3)}")
    alltext = json.dumps(tickets, ensure_ascii=False)
    for needle in ("[bold]URGENT[/bold] invoice", "[@click=app.quit]click me[/]", "🔥", "\u202e", "\\u001b[31mred\\u001b[0m"):
        need(needle in alltext, f"hostile sample {needle!r} missing")
    need(any(len(t["subject"]) >= 200 for t in tickets), "no 200+ char subject")
    old_done = sum(1 for a in ages_done if a > 35 * 1440)
    need(old_done <= len(ages_done) * 0.1, f"{old_done} solved/closed tickets older than 35 days")

    # ---- templates
    tdir = OUT / "templates"
    tpl_files = sorted(tdir.glob("*.md"))
    tpl_lang, tpl_cat, article_tpls = Counter(), Counter(), 0
    for p in tpl_files:
        text = p.read_text(encoding="utf-8")
        fm, body = parse_front_matter(text, p, errors)
        if set(fm) != {"name", "category", "language"} or f"{fm.get('name')}-{fm.get('language')}" != p.stem:
            err(f"{p.name}: front matter must be name/category/language; file name == name-language")
        if fm.get("language") not in ("en", "ru", "lv") or fm.get("category") not in CATEGORIES:
            err(f"{p.name}: bad language/category")
        used = set(re.findall(r"{{\s*(.*?)\s*}}", body))
        if used - TEMPLATE_VARS:
            err(f"{p.name}: unknown placeholders {used - TEMPLATE_VARS}")
        if "{%" in body or "{#" in body or "agent.signature" not in used:
            err(f"{p.name}: must only use {{ }} expressions and end with the agent signature")
        if any(v.startswith("article.") for v in used):
            article_tpls += 1
        tpl_lang[fm.get("language")] += 1
        tpl_cat[(fm.get("category"), fm.get("language"))] += 1
    need(len(tpl_files) >= 30, f"only {len(tpl_files)} templates")
    need(2 <= article_tpls <= 3, f"{article_tpls} templates use article.*")
    need(min(tpl_lang[l] for l in ("en", "ru", "lv")) >= 10, f"templates per language {dict(tpl_lang)}")

    # ---- knowledge base
    kdir = OUT / "kb"
    kb_files = sorted(kdir.glob("*.md"))
    kb_lang, ids = Counter(), set()
    corpus = {"en": "", "ru": "", "lv": ""}
    for p in kb_files:
        text = p.read_text(encoding="utf-8")
        fm, body = parse_front_matter(text, p, errors)
        m = re.fullmatch(r"kb-(\d{4})-[a-z0-9-]+-(en|ru|lv)", p.stem)
        if set(fm) != {"id", "title", "tags", "language"} or not m:
            err(f"{p.name}: bad front matter keys or file name")
            continue
        if fm["id"] != f"KB-{m.group(1)}" or fm["id"] in ids or fm["language"] != m.group(2):
            err(f"{p.name}: id/language do not match file name (or duplicate id)")
        ids.add(fm["id"])
        if not re.fullmatch(r"\[[a-z0-9-]+(, [a-z0-9-]+)*\]", fm["tags"]):
            err(f"{p.name}: tags must look like [a, b]")
        words = len(re.findall(r"\w+", body))
        if not 100 <= words <= 400:
            err(f"{p.name}: body has {words} words")
        if fm["language"] == "ru" and not CYRILLIC.search(fm["title"] + body):
            err(f"{p.name}: Russian article without Cyrillic")
        kb_lang[fm["language"]] += 1
        corpus[fm["language"]] += " " + fm["title"].lower() + " " + body.lower()
    need(len(kb_files) >= 70 and min(kb_lang[l] for l in ("en", "ru", "lv")) >= 20, f"kb per language {dict(kb_lang)}")
    for lang, words in (("ru", ["оплата", "оплаты", "оплату", "счёт"]),
                        ("lv", ["rēķins", "rēķinu", "rēķina", "pieslēgums", "pieslēgumu"])):
        for w in words:
            need(re.search(rf"(?<!\w){w}(?!\w)", corpus[lang]), f"kb ({lang}) never uses the word {w!r}")

    # ---- report
    print(f"teams: {len(teams)}   agents: {len(agents)} (inactive: {', '.join(inactive)})   customers: {len(rows)} {dict(langs)} {dict(segs)}")
    print(f"sla policies: {len(sla)}   templates: {len(tpl_files)} {dict(tpl_lang)}   kb articles: {len(kb_files)} {dict(kb_lang)}")
    print(f"tickets: {n}")
    for k in cnt:
        print(f"  {k:9} {dict(sorted(cnt[k].items()))}")
    print(f"  backlog (new/open/pending/on_hold): {backlog}   escalated: {escalated}   reopened: {reopened}   rated: {rated} {dict(sorted(scores.items()))}")
    print(f"  open owned by demo: {owner_open['demo']}   by inactive {inactive}: {[owner_open[h] for h in inactive]}   "
          f"unassigned new/open L1: {unassigned_l1}")
    print(f"  breaching: urgent w/o response >=5h: {breach_urgent}, normal w/o response >=3d: {breach_normal}; fresh (<1h): {fresh}")
    print(f"  distinct subjects: {len(subj)} (max repeat {max(subj.values())});  messages: {sum(len(t['messages']) for t in tickets)}")
    for w in warnings:
        print("warning:", w)
    for e in errors:
        print("ERROR:", e)
    print("OK" if not errors else f"FAILED ({len(errors)} errors)")
    return not errors


def main():
    if "--check" not in sys.argv:
        generate()
    sys.exit(0 if validate() else 1)


if __name__ == "__main__":
    main()
