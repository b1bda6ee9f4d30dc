"""The demo's Greenhouse tenant, and the people and channels the Slack console plays.

Four jobs, each there to show something:

- `BACKEND_JOB` "Senior Backend Engineer", requisition `ENG-2041` (`/greenhouse job
  ENG-2041` finds it): two open openings and a closed one, 14 candidates across the
  interview plan plus a rejected one, a hire and a prospect — the close and reject flows;
- `DESIGN_JOB` "Principal Product Designer", confidential, on a team the console's
  hiring manager is not on — who sees what;
- `SUPPORT_JOB` "Customer Support Specialist", 320 active candidates — more than
  one page (Harvest's `per_page` is at most 500 and defaults to 100);
- `ANALYST_JOB` "Data Analyst", one open opening left and a candidate at Offer —
  "hire the last candidate" closes it in Greenhouse, and the bot announces it.

Every Greenhouse user the console plays has the email of its Slack profile, so the
bot's identity mapping (`GET /users?email=`) finds them. Names are invented.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bot.demo.greenhouse import FakeGreenhouse

API_KEY = "demo-harvest-api-key"  # what the demo bot sends as GREENHOUSE_API_KEY
DOMAIN = "tallgrass.example"

BACKEND_JOB, DESIGN_JOB, SUPPORT_JOB, ANALYST_JOB = 4021, 4022, 4023, 4024
BACKEND_REQUISITION = "ENG-2041"


@dataclass(frozen=True)
class Person:
    slack_id: str
    name: str
    email: str
    role: str  # "hiring manager", "recruiter", "coordinator", "outsider", "admin"
    greenhouse_user_id: int
    title: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _email(name: str) -> str:
    """first.last@…, in ASCII (García → garcia): work addresses rarely keep the accents."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().split()
    return f"{ascii_name[0]}.{ascii_name[-1]}@{DOMAIN}"


def _person(slack_id: str, name: str, role: str, uid: int, title: str) -> Person:
    return Person(slack_id, name, _email(name), role, uid, title)


HANNAH = _person("UHANNAH", "Hannah Okafor", "hiring manager", 201, "Engineering Manager")
MATEO = _person("UMATEO", "Mateo García", "recruiter", 202, "Senior Technical Recruiter")
PRIYA = _person("UPRIYA", "Priya Natarajan", "recruiter", 203, "Recruiter")
WEI = _person("UWEI", "Wei Chen", "coordinator", 204, "Recruiting Coordinator")
SAM = _person("USAM", "Sam Lindqvist", "outsider", 205, "Account Executive")
ADA = _person("UADA", "Ada Kowalczyk", "admin", 206, "People Operations Lead")

PEOPLE: list[Person] = [HANNAH, MATEO, PRIYA, WEI, SAM, ADA]
BOT_ADMINS = [p.slack_id for p in PEOPLE if p.role == "admin"]  # BOT_ADMINS of the demo bot

HIRING_CHANNEL, APPROVALS_CHANNEL = "C_HIRING", "C_APPROVALS"
CHANNELS = [
    {"id": HIRING_CHANNEL, "name": "hiring", "is_private": False},
    {"id": APPROVALS_CHANNEL, "name": "approvals", "is_private": True},  # BOT_APPROVALS_CHANNEL
]

# Greenhouse users who are not played in the console (no Slack account in the demo).
KWAME = (207, "Kwame Mensah", "Design Director")
LUCIA = (208, "Lucía Fernández", "Support Manager")

CLOSE_REASONS = [
    {"id": 365, "name": "Hire - New Headcount"},
    {"id": 366, "name": "Hire - Backfill"},
    {"id": 367, "name": "On Hold"},
    {"id": 368, "name": "Position Cancelled"},
]
REJECTION_REASONS = [
    {"id": 801, "name": "Lacking skill(s)/qualification(s)", "type": {"id": 1, "name": "We rejected them"}},
    {"id": 802, "name": "Not enough relevant experience", "type": {"id": 1, "name": "We rejected them"}},
    {"id": 803, "name": "Position filled", "type": {"id": 1, "name": "We rejected them"}},
    {"id": 804, "name": "Accepted another offer", "type": {"id": 2, "name": "They rejected us"}},
    {"id": 805, "name": "Compensation expectations", "type": {"id": 2, "name": "They rejected us"}},
    {"id": 806, "name": "Other", "type": {"id": 3, "name": "None Specified"}},
]
EMAIL_TEMPLATES = [
    {"id": 901, "name": "Standard rejection", "description": "Sent after any interview stage", "default": True,
     "type": "candidate_rejection", "from": f"recruiting@{DOMAIN}", "cc": [], "user": None,
     "body": "Thank you for your time and interest in {{JOB_NAME}}…", "html_body": None},
    {"id": 902, "name": "Hannah's personal rejection", "description": None, "default": False,
     "type": "candidate_rejection", "from": HANNAH.email, "cc": [], "user": {"id": HANNAH.greenhouse_user_id},
     "body": "Hi {{CANDIDATE_FIRST_NAME}}…", "html_body": None},
    {"id": 903, "name": "Interview invitation", "description": None, "default": True,
     "type": "candidate_email", "from": f"recruiting@{DOMAIN}", "cc": [], "user": None,
     "body": "We would like to invite you…", "html_body": None},
]

STAGES = ("Application Review", "Recruiter Screen", "Technical Interview", "Onsite", "Reference Check", "Offer")

# (name, stage) of the named candidates; the support job's 320 come from FIRST × LAST below.
BACKEND_CANDIDATES = [
    ("Amara Nwosu", "Application Review"), ("Diego Alvarez", "Application Review"),
    ("Yuki Tanaka", "Recruiter Screen"), ("Fatima Zahra Benali", "Recruiter Screen"),
    ("Liam O'Connor", "Recruiter Screen"), ("Sofía Martínez", "Technical Interview"),
    ("Arjun Mehta", "Technical Interview"), ("Nia Johnson", "Technical Interview"),
    ("Tomasz Nowak", "Onsite"), ("Mei-Ling Wu", "Onsite"), ("Kofi Boateng", "Onsite"),
    ("Elena Popescu", "Reference Check"), ("Jamal Haddad", "Reference Check"), ("Ingrid Solberg", "Offer"),
]
DESIGN_CANDIDATES = [
    ("Chloé Dubois", "Application Review"), ("Rahul Iyer", "Recruiter Screen"), ("Aisha Bello", "Recruiter Screen"),
    ("Mateus Silva", "Technical Interview"), ("Hana Kim", "Onsite"), ("Oskar Lindgren", "Onsite"),
    ("Zanele Dlamini", "Reference Check"), ("Noor Rahman", "Offer"),
]
ANALYST_CANDIDATES = [
    ("Emeka Obi", "Application Review"), ("Laura Schmidt", "Recruiter Screen"), ("Tariq Aziz", "Technical Interview"),
    ("Valentina Rossi", "Onsite"), ("Minh Nguyen", "Reference Check"), ("Grace Mwangi", "Offer"),
]
FIRST = ("Adaeze", "Bruno", "Camila", "Dmitri", "Esra", "Farid", "Gabriela", "Hiroshi", "Ifeoma", "Jonas",
         "Keanu", "Leila", "Marek", "Nadia", "Omar", "Paloma", "Quang", "Rosa", "Sione", "Thandiwe")
LAST = ("Abiodun", "Bergström", "Castillo", "Dubois", "Erdoğan", "Fujita", "Gonzalez", "Horvath",
        "Ibrahim", "Jovanović", "Kaur", "Lindgren", "Moreau", "Ncube", "Okonkwo", "Papadopoulos")
SUPPORT_ACTIVE = len(FIRST) * len(LAST)  # 320, each name once
# Stage of the n-th support candidate, by n % 12: most are early in the process, as in real funnels.
SUPPORT_FUNNEL = (0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5)


def sample_tenant(clock: Callable[[], float] = time.time) -> FakeGreenhouse:
    """A fresh demo tenant; `clock` stamps what happens in it from now on (tests pass a fixed one)."""
    gh = FakeGreenhouse(clock=clock, api_key=API_KEY)
    for p in PEOPLE:
        gh.add_user(p.greenhouse_user_id, p.name, p.email)["site_admin"] = p.role == "admin"
    for uid, name, _title in (KWAME, LUCIA):
        gh.add_user(uid, name, _email(name))
    gh.close_reasons += [dict(r) for r in CLOSE_REASONS]
    gh.rejection_reasons += [dict(r) for r in REJECTION_REASONS]
    gh.email_templates += [dict(t) for t in EMAIL_TEMPLATES]

    backfill = CLOSE_REASONS[1]
    gh.add_job(BACKEND_JOB, "Senior Backend Engineer", requisition_id=BACKEND_REQUISITION, stages=STAGES,
               team={"hiring_managers": [HANNAH.greenhouse_user_id],
                     "recruiters": [MATEO.greenhouse_user_id, PRIYA.greenhouse_user_id],
                     "coordinators": [WEI.greenhouse_user_id]},
               openings=[gh.opening(4021001, opening_id="ENG-2041-1"), gh.opening(4021002, opening_id="ENG-2041-2"),
                         gh.opening(4021003, "closed", opening_id="ENG-2041-0", close_reason=backfill)])
    gh.add_job(DESIGN_JOB, "Principal Product Designer", requisition_id="DES-0317", confidential=True, stages=STAGES,
               team={"hiring_managers": [KWAME[0]], "recruiters": [PRIYA.greenhouse_user_id],
                     "coordinators": [WEI.greenhouse_user_id]},
               openings=[gh.opening(4022001, opening_id="DES-0317-1")])
    gh.add_job(SUPPORT_JOB, "Customer Support Specialist", requisition_id="SUP-1188", stages=STAGES,
               team={"hiring_managers": [HANNAH.greenhouse_user_id, LUCIA[0]],
                     "recruiters": [MATEO.greenhouse_user_id], "coordinators": [WEI.greenhouse_user_id]},
               openings=[gh.opening(4023000 + i, opening_id=f"SUP-1188-{i}") for i in range(1, 4)]
               + [gh.opening(4023004, "closed", opening_id="SUP-1188-4", close_reason=CLOSE_REASONS[0])])
    gh.add_job(ANALYST_JOB, "Data Analyst", requisition_id="DAT-0560", stages=STAGES,
               team={"hiring_managers": [HANNAH.greenhouse_user_id], "recruiters": [MATEO.greenhouse_user_id],
                     "coordinators": [WEI.greenhouse_user_id]},
               openings=[gh.opening(4024001, opening_id="DAT-0560-1"),
                         gh.opening(4024002, "closed", opening_id="DAT-0560-2", close_reason=CLOSE_REASONS[0])])

    ids = _Ids()
    for job_id, people in ((BACKEND_JOB, BACKEND_CANDIDATES), (DESIGN_JOB, DESIGN_CANDIDATES),
                           (ANALYST_JOB, ANALYST_CANDIDATES)):
        for name, stage in people:
            gh.add_candidate(ids.candidate(), name, [gh.application(ids.application(), job_id, stage=stage)])
    # Applications that are not active: they must never show among a job's candidates.
    gh.add_candidate(ids.candidate(), "Pablo Ruiz", [gh.application(ids.application(), BACKEND_JOB,
                                                                     status="rejected", stage="Technical Interview")])
    hired = gh.application(ids.application(), ANALYST_JOB, status="hired", stage=None)
    gh.add_candidate(ids.candidate(), "Selin Yılmaz", [hired])
    gh.jobs[ANALYST_JOB]["openings"][1]["application_id"] = hired["id"]
    gh.add_candidate(ids.candidate(), "Olivia Brown", [gh.application(ids.application(), BACKEND_JOB,
                                                                      prospect=True, stage=None)])
    # Someone in two processes at once: the job view must show only this job's application.
    gh.add_candidate(ids.candidate(), "Ravi Subramanian", [
        gh.application(ids.application(), BACKEND_JOB, stage="Recruiter Screen"),
        gh.application(ids.application(), ANALYST_JOB, stage="Technical Interview"),
    ])
    for n in range(SUPPORT_ACTIVE):
        name = f"{FIRST[n % len(FIRST)]} {LAST[n // len(FIRST)]}"
        stage = STAGES[SUPPORT_FUNNEL[n % len(SUPPORT_FUNNEL)]]
        gh.add_candidate(ids.candidate(), name, [gh.application(ids.application(), SUPPORT_JOB, stage=stage)])
    return gh


class _Ids:
    """Candidate and application IDs in Greenhouse's style: large, increasing."""

    def __init__(self) -> None:
        self._candidate, self._application = 51_880_000, 61_440_000

    def candidate(self) -> int:
        self._candidate += 1
        return self._candidate

    def application(self) -> int:
        self._application += 1
        return self._application
