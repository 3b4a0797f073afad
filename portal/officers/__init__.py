"""Web pages around officers: the officer portal (``officer:``), the public application and
enrolment link, and the staff pages that verify and suspend officers and agencies
(``officers:``). Models and services live in ``portal.accounts`` (identities)."""
