"""The built-in texts of the automatic mails, per language: used when the store has no reply
template of that name (`auto-acknowledgement`, `auto-csat-survey`), so a store made by
`csm init` without the sample sends them too.  A template of the same name and language in the
store replaces the built-in one (the sample data ships them as editable templates)."""

from __future__ import annotations

from csm_console.domain.outgoing import ACK_TEMPLATE, SURVEY_TEMPLATE

TEXTS: dict[str, dict[str, str]] = {
    ACK_TEMPLATE: {
        "en": (
            "Hello {{ customer.first_name }},\n\n"
            "Thank you for writing to us. Your request is registered as ticket "
            "#{{ ticket.id }} ({{ ticket.subject }}), and an agent will answer you soon.\n\n"
            "To add anything, simply reply to this e-mail and keep [#{{ ticket.id }}] in the "
            "subject.\n\n"
            "This is an automatic message.\n"
        ),
        "ru": (
            "Здравствуйте, {{ customer.first_name }}!\n\n"
            "Спасибо за обращение. Ваш запрос зарегистрирован под номером #{{ ticket.id }} "
            "({{ ticket.subject }}), специалист ответит вам в ближайшее время.\n\n"
            "Чтобы что-то добавить, просто ответьте на это письмо, сохранив [#{{ ticket.id }}] "
            "в теме.\n\n"
            "Это автоматическое сообщение.\n"
        ),
        "lv": (
            "Labdien, {{ customer.first_name }}!\n\n"
            "Paldies, ka sazinājāties ar mums. Jūsu pieprasījums ir reģistrēts ar numuru "
            "#{{ ticket.id }} ({{ ticket.subject }}), un speciālists drīz jums atbildēs.\n\n"
            "Lai kaut ko papildinātu, vienkārši atbildiet uz šo e-pastu, saglabājot "
            "[#{{ ticket.id }}] tēmā.\n\n"
            "Šis ir automātisks ziņojums.\n"
        ),
    },
    SURVEY_TEMPLATE: {
        "en": (
            "Hello {{ customer.first_name }},\n\n"
            "Your request #{{ ticket.id }} ({{ ticket.subject }}) has been solved. How "
            "satisfied are you with our help?\n\n"
            "Please reply to this e-mail with a number from 1 (very unsatisfied) to 5 (very "
            "satisfied) at the start of your answer, and a comment if you like, for example:\n\n"
            "5 Quick and clear, thank you!\n\n"
            "If the problem is not solved, just reply and tell us: the ticket will be "
            "reopened.\n"
        ),
        "ru": (
            "Здравствуйте, {{ customer.first_name }}!\n\n"
            "Ваш запрос #{{ ticket.id }} ({{ ticket.subject }}) решён. Насколько вы довольны "
            "нашей помощью?\n\n"
            "Пожалуйста, ответьте на это письмо, начав ответ с цифры от 1 (совсем не доволен) "
            "до 5 (очень доволен), и, если хотите, добавьте комментарий, например:\n\n"
            "5 Быстро и понятно, спасибо!\n\n"
            "Если проблема не решена, просто напишите нам об этом: запрос будет открыт снова.\n"
        ),
        "lv": (
            "Labdien, {{ customer.first_name }}!\n\n"
            "Jūsu pieprasījums #{{ ticket.id }} ({{ ticket.subject }}) ir atrisināts. Cik "
            "apmierināts esat ar mūsu palīdzību?\n\n"
            "Lūdzu, atbildiet uz šo e-pastu, sākot atbildi ar skaitli no 1 (ļoti neapmierināts) "
            "līdz 5 (ļoti apmierināts), un, ja vēlaties, pievienojiet komentāru, piemēram:\n\n"
            "5 Ātri un skaidri, paldies!\n\n"
            "Ja problēma nav atrisināta, vienkārši atbildiet un pastāstiet mums: pieprasījums "
            "tiks atvērts no jauna.\n"
        ),
    },
}


def text(name: str, language: str) -> str:
    """The built-in text `name` in `language` (English when there is no such variant)."""
    variants = TEXTS[name]
    return variants.get(language) or variants["en"]
