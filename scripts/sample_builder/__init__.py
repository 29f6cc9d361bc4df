"""Builder and checks for the csm-console sample data set (see scripts/build_sample_data.py).

- `source`: reads the hand-written YAML under scripts/sample_source/
- `words`: text helpers (gendered forms, transliteration, time offsets, money)
- `people`: agents, customers and the slot values a ticket's texts are filled with
- `planner`: the ticket mix and who, what and when each ticket is about
- `tickets`: one conversation per ticket
- `generate`: writes sample_data/*.json and customers.csv
- `checks`, `checks_tickets`, `checks_texts`: validate what is on disk (hand edits included)
"""
