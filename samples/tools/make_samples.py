#!/usr/bin/env python3
"""Writes samples/NN-*/bundle.json, the synthetic patients of the alemwatch samples.

Run from anywhere: python3 samples/tools/make_samples.py
It writes only the bundles (and an empty expected.ndjson where a folder has none yet). The expected
DetectedIssues are worked out by hand from docs/rules.md and are never generated: this script knows
nothing about the rules, and never touches an existing expected.ndjson.
Every identifier and UUID is fixed, so re-running it reproduces the committed files byte for byte.
"""
import datetime as dt
import json
import pathlib
import uuid

SAMPLES = pathlib.Path(__file__).resolve().parent.parent
UUID_NS = uuid.UUID("6d1f3f0e-5a2b-4c7e-9b1a-0a1e2d3c4b5a")  # fixed namespace for uuid5

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CAT = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                       "code": "laboratory", "display": "Laboratory"}]}

LEMTRADA = {"coding": [{"system": RXNORM, "code": "1594659", "display": "Lemtrada"}], "text": "Lemtrada 12 mg/1.2 mL"}
CAMPATH = {"coding": [{"system": RXNORM, "code": "284679", "display": "Campath"}], "text": "Campath 30 mg/mL"}

# id suffix -> (LOINC code, LOINC display or None, text, usual UCUM code, usual unit as printed)
ANALYTES = {
    "plt":   ("777-3", "Platelets [#/volume] in Blood by Automated count", "Platelet count", "10*3/uL", "10*3/uL"),
    "hb":    ("718-7", "Hemoglobin [Mass/volume] in Blood", "Haemoglobin", "g/dL", "g/dL"),
    "neut":  ("751-8", "Neutrophils [#/volume] in Blood by Automated count", "Neutrophil count", "10*3/uL", "10*3/uL"),
    "lymph": ("731-0", "Lymphocytes [#/volume] in Blood by Automated count", "Lymphocyte count", "10*3/uL", "10*3/uL"),
    "retic": ("4679-7", "Reticulocytes/100 erythrocytes in Blood", "Reticulocytes", "%", "%"),
    "cr":    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "Creatinine", "mg/dL", "mg/dL"),
    "up":    ("20454-5", "Protein [Presence] in Urine by Test strip", "Urine protein (dipstick)", None, None),
    "ub":    ("5794-3", "Hemoglobin [Presence] in Urine by Test strip", "Urine blood (dipstick)", None, None),
    "rbc":   ("13945-1", "Erythrocytes [#/area] in Urine sediment by Microscopy high power field", "Urine red cells", "/[HPF]", "/HPF"),
    "tsh":   ("3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "TSH", "m[IU]/L", "mIU/L"),
    "ft4":   ("3024-7", None, "Free T4", "ng/dL", "ng/dL"),
    "trab":  ("5385-0", "Thyrotropin receptor Ab [Units/volume] in Serum", "TSH-receptor antibody", "[IU]/L", "IU/L"),
    "ldh":   ("2532-0", "Lactate dehydrogenase [Enzymatic activity/volume] in Serum or Plasma", "LDH", "U/L", "U/L"),
    "hapto": ("4542-7", "Haptoglobin [Mass/volume] in Serum or Plasma", "Haptoglobin", "mg/dL", "mg/dL"),
    "aptt":  ("14979-9", "aPTT in Platelet poor plasma by Coagulation assay", "aPTT", "s", "s"),
    "inr":   ("6301-6", "INR in Platelet poor plasma by Coagulation assay", "INR", "{INR}", "INR"),
    "f8":    ("3209-4", "Coagulation factor VIII activity actual/normal in Platelet poor plasma by Coagulation assay", "Factor VIII activity", "%", "%"),
    "ferr":  ("2276-4", "Ferritin [Mass/volume] in Serum or Plasma", "Ferritin", "ng/mL", "ng/mL"),
    "trig":  ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "Triglycerides", "mg/dL", "mg/dL"),
    "hiv":   ("56888-1", "HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma by Immunoassay", "HIV 1+2 Ab/Ag screen", None, None),
    "gbm":   ("59394-7", None, "Anti-GBM antibody", "U/mL", "U/mL"),
}
NEGATIVE = {"coding": [{"system": SNOMED, "code": "260385009", "display": "Negative"}], "text": "Negative"}


def instant(t):
    """UTC instant of a FHIR dateTime (a date alone is midnight UTC); used only to order results."""
    if len(t) == 10:
        return dt.datetime.fromisoformat(t + "T00:00:00+00:00")
    return dt.datetime.fromisoformat(t.replace("Z", "+00:00"))


def qty(value, code, unit=None, system=True):
    q = {"value": value, "unit": unit if unit is not None else code}
    if system:
        q["system"] = UCUM
        q["code"] = code
    return q


class Scenario:
    def __init__(self, nn, slug, family, given, gender, birth):
        self.nn, self.slug = nn, slug
        self.pid = f"aw-{nn}"
        self.patient = {"resourceType": "Patient", "id": self.pid,
                        "name": [{"use": "official", "family": family, "given": [given]}],
                        "gender": gender, "birthDate": birth}
        self.infusions = []
        self.observations = []  # (instant, order, analyte, resource without id)

    # --- MedicationAdministration -------------------------------------------------------
    def infusion(self, when, dose=12, unit="mg", status="completed", med="lemtrada", reason=None, period_end=None):
        ma = {"resourceType": "MedicationAdministration", "status": status}
        if reason:
            ma["statusReason"] = [{"text": reason}]
        if med == "lemtrada":
            ma["medicationCodeableConcept"] = LEMTRADA
        elif med == "campath":
            ma["medicationCodeableConcept"] = CAMPATH
        elif med == "contained":
            ma["contained"] = [{"resourceType": "Medication", "id": "med1",
                                "code": {"coding": [{"system": RXNORM, "code": "1594659", "display": "Lemtrada"}]}}]
            ma["medicationReference"] = {"reference": "#med1"}
        else:  # free text only
            ma["medicationCodeableConcept"] = {"text": med}
        ma["subject"] = {"reference": f"Patient/{self.pid}"}
        if period_end:
            ma["effectivePeriod"] = {"start": when, "end": period_end}
        else:
            ma["effectiveDateTime"] = when
        ma["dosage"] = {"route": {"coding": [{"system": SNOMED, "code": "47625008", "display": "Intravenous route"}]},
                        "dose": qty(dose, unit)}
        self.infusions.append((instant(when), ma))

    def course(self, first_day, n, hour="09:00:00Z", **kw):
        d0 = dt.date.fromisoformat(first_day)
        for i in range(n):
            self.infusion(f"{d0 + dt.timedelta(days=i)}T{hour}", **kw)

    # --- Observation ---------------------------------------------------------------------
    def obs(self, analyte, when, value=None, *, unit=None, code=None, system=True, string=None, concept=None,
            status="final", low=None, high=None, interp=None):
        loinc, display, text, ucum, printed = ANALYTES[analyte]
        coding = {"system": LOINC, "code": loinc}
        if display:
            coding["display"] = display
        o = {"resourceType": "Observation", "status": status, "category": [OBS_CAT],
             "code": {"coding": [coding], "text": text},
             "subject": {"reference": f"Patient/{self.pid}"}, "effectiveDateTime": when}
        if string is not None:
            o["valueString"] = string
        elif concept is not None:
            o["valueCodeableConcept"] = concept
        else:
            c = code or ucum
            o["valueQuantity"] = qty(value, c, unit or (printed if code is None else c), system)
        if interp:
            o["interpretation"] = [{"coding": [{"system": INTERP, "code": interp}]}]
        if low is not None or high is not None:
            rr = {}
            if low is not None:
                rr["low"] = qty(low, code or ucum, unit or printed)
            if high is not None:
                rr["high"] = qty(high, code or ucum, unit or printed)
            o["referenceRange"] = [rr]
        self.observations.append((instant(when), len(self.observations), analyte, o))

    def labs(self, when, **values):
        """A set of results drawn together. 'neg' for up/ub/hiv means a coded negative."""
        for analyte, v in values.items():
            if analyte in ("up", "ub") and v == "neg":
                self.obs(analyte, when, concept=NEGATIVE)
            elif isinstance(v, str):
                self.obs(analyte, when, string=v)
            else:
                self.obs(analyte, when, v)

    # --- Bundle --------------------------------------------------------------------------
    def bundle(self):
        resources = [self.patient]
        for k, (_, ma) in enumerate(sorted(self.infusions, key=lambda x: x[0]), 1):
            resources.append({"resourceType": ma["resourceType"], "id": f"{self.pid}-ma-{k}",
                              **{k2: v for k2, v in ma.items() if k2 != "resourceType"}})
        counters = {}
        for _, _, analyte, o in sorted(self.observations, key=lambda x: (x[0], x[1])):
            counters[analyte] = counters.get(analyte, 0) + 1
            resources.append({"resourceType": "Observation", "id": f"{self.pid}-{analyte}-{counters[analyte]}",
                              **{k2: v for k2, v in o.items() if k2 != "resourceType"}})
        entries = []
        for r in resources:
            path = f"{r['resourceType']}/{r['id']}"
            entries.append({"fullUrl": f"urn:uuid:{uuid.uuid5(UUID_NS, 'alemwatch-samples/' + path)}",
                            "resource": r, "request": {"method": "PUT", "url": path}})
        return {"resourceType": "Bundle", "id": f"alemwatch-sample-{self.nn}", "type": "transaction", "entry": entries}

    def write(self):
        folder = SAMPLES / f"{self.nn}-{self.slug}"
        folder.mkdir(exist_ok=True)
        (folder / "bundle.json").write_text(json.dumps(self.bundle(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        exp = folder / "expected.ndjson"
        if not exp.exists():
            exp.write_text("", encoding="utf-8")  # placeholder; the real content is written by hand


def monthly(s, days, hour="08:30:00Z", values=None):
    """Routine monitoring draws on the given dates; values maps analyte -> list cycled through."""
    for i, day in enumerate(days):
        s.labs(f"{day}T{hour}", **{a: v[i % len(v)] for a, v in values.items()})


# ============================================================================================
def s01():
    s = Scenario("01", "clean-control", "Alder", "Maren", "female", "1989-03-14")
    s.labs("2024-08-29T08:30:00Z", plt=268, hb=13.8, neut=4.1, cr=0.78, up="neg", tsh=1.9)
    s.course("2024-09-09", 5)
    cbc = {"plt": [251, 238, 262, 244, 229, 257, 248, 236, 270, 241, 233, 259, 247],
           "hb": [13.6, 13.9, 13.4, 13.7, 13.5], "neut": [2.6, 3.1, 3.5, 2.9, 3.8, 3.3],
           "cr": [0.76, 0.81, 0.79, 0.74, 0.83, 0.8, 0.77], "up": ["neg"]}
    monthly(s, ["2024-10-14", "2024-11-11", "2024-12-09", "2025-01-13", "2025-02-10", "2025-03-10", "2025-04-14",
                "2025-05-12", "2025-06-09", "2025-07-14", "2025-08-11"], values=cbc)
    for day, v in [("2024-12-09", 2.2), ("2025-03-10", 1.6), ("2025-06-09", 2.5)]:
        s.obs("tsh", f"{day}T08:30:00Z", v)
    s.labs("2025-09-04T08:30:00Z", plt=255, hb=13.7, neut=3.4, cr=0.79, up="neg", tsh=2.0)
    s.course("2025-09-15", 3)
    monthly(s, ["2025-10-13", "2025-11-10", "2025-12-08", "2026-01-12", "2026-02-09", "2026-03-09", "2026-04-13",
                "2026-05-11", "2026-06-08", "2026-07-13", "2026-08-10", "2026-09-14", "2026-10-12"], values=cbc)
    for day, v in [("2025-12-08", 1.8), ("2026-03-09", 2.4), ("2026-06-08", 2.1), ("2026-09-14", 1.7)]:
        s.obs("tsh", f"{day}T08:30:00Z", v)
    return s


def s02():
    s = Scenario("02", "itp", "Birch", "Lena", "female", "1987-04-12")
    s.labs("2019-04-25T08:30:00Z", plt=259, hb=13.5, cr=0.74, up="neg", tsh=2.1)
    s.course("2019-05-06", 5)
    monthly(s, ["2019-06-17", "2019-09-16", "2019-12-16", "2020-03-16"],
            values={"plt": [241, 236, 252, 247], "cr": [0.76, 0.73, 0.77, 0.75], "up": ["neg"], "tsh": [1.8, 2.4, 2.0, 1.7]})
    s.labs("2020-04-30T08:30:00Z", plt=246, hb=13.2, cr=0.75, up="neg", tsh=1.9)
    s.course("2020-05-11", 3)
    monthly(s, ["2020-08-17", "2020-11-16", "2021-02-15", "2021-05-17"],
            values={"plt": [233, 228, 240, 221], "cr": [0.72, 0.77, 0.74, 0.76], "up": ["neg"], "tsh": [2.2, 1.9, 2.6, 2.3]})
    s.labs("2021-06-21T08:40:00Z", plt=64, hb=12.9)
    s.labs("2021-07-09T10:05:00Z", plt=28, hb=12.6)
    s.labs("2021-08-09T08:30:00Z", plt=163, hb=13.0)
    s.labs("2021-09-13T08:30:00Z", plt=205, cr=0.75, up="neg")
    return s


def s03():
    s = Scenario("03", "itp-early", "Cedar", "Tomas", "male", "1983-09-30")
    s.labs("2021-09-02T08:30:00Z", plt=192, hb=14.6, cr=0.92, up="neg", tsh=2.3)
    s.course("2021-09-13", 5)
    monthly(s, ["2021-10-18", "2021-11-15", "2021-12-13", "2022-01-17", "2022-02-14", "2022-03-14", "2022-04-11",
                "2022-05-16", "2022-06-13", "2022-07-18", "2022-08-15", "2022-09-12", "2022-10-17"],
            values={"plt": [198, 205, 189, 194, 186, 181, 177, 168, 156, 144, 100, 152, 171],
                    "cr": [0.9, 0.88, 0.93, 0.91, 0.95, 0.89, 0.92], "up": ["neg"]})
    for day, v in [("2021-12-13", 2.0), ("2022-03-14", 2.6), ("2022-06-13", 1.9), ("2022-09-12", 2.2)]:
        s.obs("tsh", f"{day}T08:30:00Z", v)
    return s


def s04():
    s = Scenario("04", "tma-aki", "Dunmore", "Clara", "female", "1982-02-14")
    s.labs("2021-02-18T08:30:00Z", plt=238, hb=13.2, cr=0.95, up="neg", tsh=1.9, ldh=185)
    s.course("2021-03-01", 3)
    s.infusion("2021-03-04T09:00:00Z", status="not-done", reason="Infusions 4 and 5 cancelled: suspected thrombotic microangiopathy")
    s.labs("2021-03-02T07:30:00Z", plt=221, hb=12.9, cr=0.98)
    s.labs("2021-03-04T06:00:00Z", plt=62, hb=9.1, cr=1.41)
    s.labs("2021-03-04T11:00:00Z", ldh=612, hapto=8)
    s.labs("2021-03-05T06:00:00Z", plt=48, hb=8.6, cr=1.3)
    s.labs("2021-03-16T06:00:00Z", plt=186, hb=11.4, cr=1.02)
    s.labs("2021-04-06T08:00:00Z", plt=205, hb=11.9, cr=0.96, up="neg")
    s.labs("2021-05-04T08:00:00Z", plt=231, hb=12.6, cr=0.93, up="neg", tsh=2.2)
    return s


def s05():
    s = Scenario("05", "anti-gbm-nephropathy", "Eastwood", "Jonas", "male", "1986-07-03")
    s.labs("2019-09-26T08:30:00Z", plt=255, hb=15.1, cr=0.88, up="neg", ub="neg", tsh=2.2)
    s.course("2019-10-07", 5)
    monthly(s, ["2020-01-13", "2020-04-14", "2020-07-13"],
            values={"plt": [244, 251, 239], "cr": [0.9, 0.86, 0.89], "up": ["neg"], "ub": ["neg"], "tsh": [1.9, 2.4, 2.0]})
    s.labs("2020-10-01T08:30:00Z", plt=248, hb=15.0, cr=0.86, up="neg", ub="neg", tsh=1.8)
    s.course("2020-10-12", 3)
    monthly(s, ["2021-01-11", "2021-04-12", "2021-07-12", "2021-10-11"],
            values={"plt": [242, 237, 250, 246], "cr": [0.87, 0.9, 0.85, 0.91], "up": ["neg"], "ub": ["neg"],
                    "tsh": [2.1, 1.7, 2.5, 2.2]})
    s.labs("2022-02-07T09:10:00Z", plt=236, cr=0.97, up="Trace", ub="2+")
    s.obs("gbm", "2022-02-14T10:00:00Z", 48, high=20, interp="H")
    s.obs("cr", "2022-02-14T10:00:00Z", 1.36)
    s.obs("cr", "2022-02-16T08:00:00Z", 1.79)
    return s


def s06():
    s = Scenario("06", "thyroid", "Fairley", "Ines", "female", "1990-11-21")
    s.labs("2020-01-03T08:30:00Z", plt=271, hb=13.3, cr=0.71, up="neg", tsh=2.1)
    s.course("2020-01-13", 5)
    monthly(s, ["2020-04-20", "2020-07-20", "2020-10-19"],
            values={"plt": [255, 262, 249], "cr": [0.7, 0.73, 0.68], "up": ["neg"], "tsh": [2.3, 1.9, 2.6]})
    s.labs("2021-01-07T08:30:00Z", plt=266, hb=13.1, cr=0.69, up="neg", tsh=1.7)
    s.course("2021-01-18", 3)
    monthly(s, ["2021-04-19", "2021-07-19", "2021-10-18", "2022-01-17"],
            values={"plt": [251, 247, 258, 243], "cr": [0.72, 0.7, 0.71, 0.69], "up": ["neg"], "tsh": [2.2, 3.1, 3.6, 4.0]})
    s.labs("2022-03-14T08:45:00Z", tsh=12.0, ft4=0.48)
    s.obs("trab", "2022-03-28T09:30:00Z", 6.2, high=1.75, interp="H")
    s.labs("2022-06-20T08:30:00Z", tsh=2.4, ft4=1.1)
    return s


def s07():
    s = Scenario("07", "cytopenias-prca", "Garnett", "Sofia", "female", "1992-03-08")
    s.labs("2019-01-24T08:30:00Z", plt=262, hb=13.4, neut=3.8, cr=0.72, up="neg", tsh=1.5)
    s.course("2019-02-04", 5)
    monthly(s, ["2019-05-13", "2019-08-12", "2019-11-11"],
            values={"plt": [248, 255, 240], "hb": [13.0, 13.3, 12.9], "neut": [2.4, 3.0, 3.2], "cr": [0.74, 0.7, 0.73],
                    "up": ["neg"], "tsh": [1.8, 2.1, 1.6]})
    s.labs("2020-01-30T08:30:00Z", plt=231, hb=13.1, neut=3.4, cr=0.7, up="neg", tsh=1.9)
    s.course("2020-02-10", 3)
    s.labs("2020-05-04T08:30:00Z", plt=214, hb=12.6, neut=2.6, cr=0.71, up="neg", tsh=2.2)
    s.labs("2020-07-06T09:15:00Z", plt=38, hb=7.4, neut=0.9, retic=0.2)
    s.labs("2020-07-13T09:00:00Z", plt=22, hb=6.9, neut=0.4, retic=0.1)
    s.labs("2020-08-17T09:00:00Z", plt=85, hb=8.6, neut=1.2, retic=0.3)
    s.labs("2020-10-19T09:00:00Z", plt=162, hb=10.8, neut=2.1, retic=1.1)
    s.labs("2021-01-18T09:00:00Z", plt=210, hb=12.4, neut=3.0, retic=1.0, cr=0.73, up="neg", tsh=2.0)
    return s


def s08():
    s = Scenario("08", "acquired-haemophilia", "Hale", "Marcus", "male", "1979-12-02")
    s.labs("2019-05-23T08:30:00Z", plt=244, hb=14.9, cr=0.95, up="neg", tsh=1.4)
    s.course("2019-06-03", 5)
    s.labs("2020-05-28T08:30:00Z", plt=251, hb=15.2, cr=0.97, up="neg", tsh=1.6)
    s.course("2020-06-08", 3)
    monthly(s, ["2021-06-14", "2022-06-13"],
            values={"plt": [239, 247], "hb": [15.0, 14.7], "cr": [0.96, 0.98], "up": ["neg"], "tsh": [1.9, 2.2]})
    s.obs("aptt", "2022-09-05T10:20:00Z", 68, low=25, high=36)
    s.labs("2022-09-05T10:20:00Z", inr=1.0, plt=245, hb=11.2)
    s.obs("f8", "2022-09-07T08:00:00Z", 8)
    s.obs("aptt", "2022-10-12T09:00:00Z", 43.2, low=25, high=36)
    s.labs("2022-10-12T09:00:00Z", inr=1.1, f8=54, hb=12.3)
    return s


def s09():
    s = Scenario("09", "hlh", "Ingram", "Noor", "female", "1995-05-19")
    s.labs("2021-10-28T08:30:00Z", plt=270, hb=13.6, neut=4.1, cr=0.75, up="neg", tsh=2.0, ferr=85)
    s.course("2021-11-08", 5)
    s.labs("2021-12-13T08:30:00Z", plt=231, hb=12.9, neut=2.2, cr=0.77, up="neg")
    s.labs("2022-01-10T14:00:00Z", ferr=3450, plt=162, hb=10.6, neut=1.7, trig=412)
    s.labs("2022-01-13T07:00:00Z", ferr=12000, plt=155, hb=10.2, neut=1.6)
    s.labs("2022-02-14T09:00:00Z", ferr=620, plt=228, hb=12.1, neut=3.2, cr=0.79, up="neg", tsh=2.4)
    return s


def s10():
    s = Scenario("10", "missed-monitoring", "Jansen", "Petra", "female", "1991-08-25")
    s.labs("2024-02-26T08:30:00Z", plt=247, hb=13.9, cr=0.8, up="neg", tsh=2.2)
    s.course("2024-03-04", 5)
    monthly(s, ["2024-04-08", "2024-05-06", "2024-06-10", "2024-07-08", "2024-08-12", "2024-09-09", "2024-10-07",
                "2024-11-11", "2024-12-09", "2025-01-06"],
            values={"plt": [236, 229, 251, 244, 238, 260, 233, 242, 249], "cr": [0.78, 0.82, 0.79, 0.81, 0.77],
                    "up": ["neg"]})
    for day, v in [("2024-06-10", 2.0), ("2024-09-09", 2.6), ("2024-12-09", 1.8)]:
        s.obs("tsh", f"{day}T08:30:00Z", v)
    s.labs("2025-02-27T08:30:00Z", plt=241, hb=13.6)   # only a blood count before course 2
    s.course("2025-03-10", 3)
    days = ["2025-04-14", "2025-05-12", "2025-06-16", "2025-07-14", "2025-08-11", "2025-09-15", "2025-10-13",
            "2025-11-10", "2025-12-15", "2026-01-12", "2026-02-09", "2026-03-09", "2026-04-13", "2026-05-11",
            "2026-06-15"]
    monthly(s, days, values={"plt": [238, 245, 231, 252, 240, 236, 248], "cr": [0.79, 0.81, 0.77, 0.8, 0.83, 0.78]})
    monthly(s, days[:-1], values={"up": ["neg"]})
    for day, v in [("2025-06-16", 2.3), ("2025-09-15", 1.9), ("2025-12-15", 2.7), ("2026-04-13", 2.1)]:
        s.obs("tsh", f"{day}T08:30:00Z", v)
    return s


def s11():
    s = Scenario("11", "dosing-errors", "Kowal", "Adam", "male", "1988-01-17")
    s.labs("2019-08-22T08:30:00Z", plt=262, hb=15.3, cr=0.93, up="neg", tsh=1.8)
    for day, dose in [("2019-09-02", 12), ("2019-09-03", 12), ("2019-09-04", 20), ("2019-09-05", 12),
                      ("2019-09-06", 13.2), ("2019-09-07", 12)]:
        s.infusion(f"{day}T09:00:00Z", dose=dose)
    monthly(s, ["2019-10-14", "2020-01-13"],
            values={"plt": [249, 255], "cr": [0.91, 0.95], "up": ["neg"], "tsh": [2.1, 1.6]})
    s.labs("2020-03-26T08:30:00Z", plt=258, hb=15.0, cr=0.94, up="neg", tsh=2.0)
    s.infusion("2020-04-06T09:00:00Z", dose=6, status="stopped", reason="Stopped after 6 mg: infusion reaction")
    s.infusion("2020-04-07T09:00:00Z", dose=12)
    s.infusion("2020-04-08T09:00:00Z", dose=1.5, unit="mL")
    monthly(s, ["2020-05-11", "2020-08-10"],
            values={"plt": [244, 251], "cr": [0.92, 0.9], "up": ["neg"], "tsh": [2.3, 1.9]})
    return s


def s12():
    s = Scenario("12", "hiv-contraindication", "Lindqvist", "Erik", "male", "1984-06-09")
    s.labs("2019-10-24T08:30:00Z", plt=239, hb=14.8, cr=0.9, up="neg", tsh=1.7, hiv="Non-reactive")
    s.course("2019-11-04", 5)
    monthly(s, ["2020-02-10", "2020-05-11", "2020-08-10"],
            values={"plt": [231, 244, 236], "cr": [0.88, 0.92, 0.9], "up": ["neg"], "tsh": [2.0, 2.4, 1.8]})
    s.labs("2020-10-20T09:00:00Z", hiv="Reactive")
    s.labs("2020-10-29T08:30:00Z", plt=242, hb=14.5, cr=0.91, up="neg", tsh=2.1)
    s.course("2020-11-09", 3)
    s.labs("2021-01-11T08:30:00Z", plt=228, cr=0.89, up="neg", tsh=2.2)
    return s


def s13():
    s = Scenario("13", "messy-ehr", "Moreau", "Lucie", "female", "1988-10-05")
    # Course 1 baselines: units as an athena-style feed sends them (readable unit, no system, no code).
    s.obs("plt", "2019-11-21T08:30:00Z", 265, unit="K/uL", system=False)
    s.obs("hb", "2019-11-21T08:30:00Z", 131, code="g/L")
    s.obs("cr", "2019-11-21T08:30:00Z", 71, unit="umol/L", system=False)
    s.obs("up", "2019-11-21T08:30:00Z", string="NEG")
    s.obs("tsh", "2019-11-21T08:30:00Z", 1.6, unit="uIU/mL", system=False)
    s.course("2019-12-02", 5)
    s.obs("plt", "2020-03-09T08:30:00Z", 243, unit="K/uL", system=False)
    s.obs("cr", "2020-03-09T08:30:00Z", 69, unit="umol/L", system=False)
    s.obs("tsh", "2020-06-08T08:30:00Z", 2.0, unit="uIU/mL", system=False)
    # Course 2 baselines, platelets in lakh/cumm
    s.obs("plt", "2020-11-26T08:30:00Z", 2.4, unit="lakh/cumm", system=False)
    s.obs("cr", "2020-11-26T08:30:00Z", 71, unit="umol/L", system=False)
    s.obs("up", "2020-11-26T08:30:00Z", concept=NEGATIVE)
    s.obs("tsh", "2020-11-26T08:30:00Z", 2.1, unit="uIU/mL", system=False)
    # Course 2: three EHR shapes of one Lemtrada course
    s.infusion("2020-12-07T09:00:00Z", med="contained")
    s.infusion("2020-12-08T09:00:00Z", period_end="2020-12-08T13:10:00Z")
    s.infusion("2020-12-09T09:00:00Z", med="LEMTRADA 12 mg/1.2 mL", dose=1.2, unit="mL")
    s.obs("tsh", "2021-06-07T09:00:00Z", 2.4, unit="uIU/mL", system=False)
    s.obs("plt", "2021-07-04T08:00:00Z", 12, unit="K/uL", system=False, status="entered-in-error")
    s.obs("plt", "2021-07-06T01:30:00+02:00", 0.85, unit="lakh/cumm", system=False, status="amended")
    s.obs("plt", "2021-08-02T09:00:00Z", 132, unit="K/uL", system=False)
    s.obs("plt", "2021-09-06T09:00:00Z", 171, unit="K/uL", system=False)
    s.obs("cr", "2021-09-06", 110, unit="µmol/L", system=False)
    s.obs("up", "2021-09-06T09:00:00Z", string="Negative")
    s.obs("rbc", "2021-09-06T09:00:00Z", string="<5")
    s.obs("cr", "2021-10-04T09:00:00Z", 84, unit="umol/L", system=False)
    return s


def s14():
    s = Scenario("14", "oncology-campath", "Novak", "Henrik", "male", "1956-02-28")
    s.labs("2021-03-29T08:00:00Z", plt=118, hb=11.4, neut=2.1, lymph=48.2, cr=0.98)
    for day in ["2021-04-05", "2021-04-07", "2021-04-09", "2021-04-12", "2021-04-14", "2021-04-16"]:
        s.infusion(f"{day}T10:00:00Z", dose=30, med="campath")
    s.labs("2021-05-24T08:00:00Z", plt=104, hb=10.9, neut=0.8, lymph=0.3, cr=1.01)
    s.labs("2021-06-21T08:00:00Z", plt=112, hb=11.0, neut=1.3, lymph=0.4, cr=0.97)
    s.labs("2021-07-26T08:00:00Z", plt=121, hb=11.5, neut=2.0, lymph=0.5, cr=0.95)
    for day in ["2021-08-02", "2021-08-04", "2021-08-06", "2021-08-09"]:
        s.infusion(f"{day}T10:00:00Z", dose=30, med="campath")
    s.labs("2021-09-19T08:00:00Z", plt=109, hb=11.1, neut=1.1, lymph=0.2, cr=0.99)
    s.labs("2021-10-18T08:00:00Z", plt=126, hb=11.8, neut=1.9, cr=0.96)
    return s


if __name__ == "__main__":
    for make in (s01, s02, s03, s04, s05, s06, s07, s08, s09, s10, s11, s12, s13, s14):
        make().write()
