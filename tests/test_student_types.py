"""The student's own exception classes cross the sandbox as real classes: their names
and bases as plain data, a class of the same name and hierarchy built on the trusted
side (autograder/sandbox/errors.py), so that graders name them as on a laptop."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.runtime import testkit
from autograder.sandbox.errors import StudentError, StudentTypes, builtin_mirror, student_error_class

ROOT = Path(__file__).resolve().parent.parent


def chain(*entries):
    return [{"key": f"cards.errors:{n}", "name": n, "module": "cards.errors", "bases": b} for n, b in entries]


def test_a_hierarchy_is_rebuilt_with_its_builtins():
    types = StudentTypes()
    low = types.build(chain(("LowBalance", ["cards.errors:CardError"]), ("CardError", ["RuntimeError"])))
    card = types.build(chain(("CardError", ["RuntimeError"])))
    assert low.__name__ == "LowBalance" and low.__module__ == "cards.errors"
    assert issubclass(low, card) and issubclass(card, RuntimeError) and issubclass(card, StudentError)
    assert types.build(chain(("CardError", ["RuntimeError"]))) is card  # one class for the whole run
    with pytest.raises(RuntimeError):
        raise low("not enough")


def test_builtin_errors_keep_their_own_names():
    cls = student_error_class(["FileNotFoundError", "OSError", "Exception", "BaseException", "object"])
    assert cls.__name__ == "FileNotFoundError" and issubclass(cls, FileNotFoundError)
    assert builtin_mirror("SystemExit").__mro__[1] is StudentError  # never a real SystemExit in the grader
    assert "Student" not in repr(cls("x")) and "Student" not in str(cls)


def test_descriptions_that_are_not_plain_or_impossible_give_a_class_or_none():
    types = StudentTypes()
    assert types.build("CardError") is None and types.build([]) is None and types.build([3]) is None
    weird = types.build([{"key": "m:X", "name": "not a name\x1b[2J", "module": "../etc", "bases": ["m:X", 5]}])
    assert weird.__name__ == "StudentClass" and weird.__module__ == "student" and issubclass(weird, StudentError)
    both = types.build(chain(("Both", ["ValueError", "KeyError"])))
    assert issubclass(both, ValueError) and issubclass(both, KeyError)


STUDENT = '''
class CardError(RuntimeError):
    """The card's own error."""

class LowBalance(CardError):
    pass

class Mixin:
    pass

class Fancy(Mixin, ValueError):
    pass

class Card:
    def __init__(self, balance):
        self.balance = balance
    def pay(self, amount):
        if amount > self.balance:
            raise LowBalance(f"balance {self.balance} is below {amount}")
        self.balance -= amount
        return self.balance

def fancy():
    raise Fancy("fancy")

def missing(path):
    open(path)

def builtin_value():
    raise ValueError("plain")
'''

SCRIPT = '''
import json, shutil, sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from autograder.runtime import testkit
from autograder.sandbox.limits import Identity
from autograder.sandbox.proxy import Sandbox, SandboxSpec, StudentProxy

run = Path(tempfile.mkdtemp(prefix="types-test-"))
package = run / "submission" / "cards"
package.mkdir(parents=True)
(package / "__init__.py").write_text("")
(package / "errors.py").write_text(sys.argv[2])
names = ["CardError", "LowBalance", "Mixin", "Fancy", "Card", "fancy", "missing", "builtin_value", "Gone"]
spec = SandboxSpec(python=sys.executable, package="cards", package_parent=run / "submission",
                   exports={n: "errors" for n in names}, run_dir=run, identity=Identity(), isolate=False,
                   error_classes=("CardError", "LowBalance", "Fancy", "Gone"), classes=("Mixin", "Card"))
sandbox = Sandbox(spec)
student = StudentProxy(sandbox)
out = {}
try:
    card = student.Card(5)
    out["pay"] = card.pay(2)
    out["isinstance_card"] = [isinstance(card, student.Card), isinstance(card, student.Mixin),
                              isinstance(3, student.Card)]
    raised = testkit.check_raises(card.pay, 10, error=student.CardError, call="card.pay(10)")
    out["raised"] = [type(raised).__name__, type(raised).__module__, str(raised)]
    out["is_low"] = isinstance(raised, student.LowBalance)
    out["is_runtime"] = isinstance(raised, RuntimeError)
    out["subclass"] = issubclass(student.LowBalance, student.CardError)
    try:
        card.pay(100)
    except RuntimeError as err:
        out["caught_as_runtime"] = type(err).__name__
    sandbox.stop()  # a restart keeps the classes
    try:
        student.Card(1).pay(3)
    except student.CardError as err:
        out["after_restart"] = type(err) is student.LowBalance
    out["fancy_is_value"] = isinstance(testkit.check_raises(student.fancy, error=ValueError, call="fancy()"),
                                       student.Fancy)
    for name, args in (("missing", ("/nonexistent/stops.csv",)), ("builtin_value", ())):
        try:
            testkit.check_raises(getattr(student, name), *args, error=student.CardError, call=f"{name}()")
        except AssertionError as failure:
            out[name] = str(failure)
    try:
        testkit.check_raises(student.builtin_value, error=student.Gone, call="builtin_value()")
    except AssertionError as failure:
        out["gone"] = str(failure)
finally:
    sandbox.stop()
    shutil.rmtree(run, ignore_errors=True)
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def seen():
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), STUDENT], capture_output=True, text=True,
                          timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_graders_name_the_students_classes_through_the_sandbox(seen):
    assert seen["pay"] == 3
    assert seen["isinstance_card"] == [True, False, False]
    assert seen["raised"] == ["LowBalance", "cards.errors", "balance 3 is below 10"]
    assert seen["is_low"] and seen["is_runtime"] and seen["subclass"]
    assert seen["caught_as_runtime"] == "LowBalance"
    assert seen["after_restart"] is True
    assert seen["fancy_is_value"] is True


def test_messages_name_the_students_types_never_the_sandboxs(seen):
    assert "raised FileNotFoundError:" in seen["missing"] and "expected a CardError" in seen["missing"]
    assert "raised ValueError: plain" in seen["builtin_value"]
    assert "expected a Gone" in seen["gone"]  # a class the student's code lacks: a class nothing raises
    assert not any("Student" in text for text in seen.values() if isinstance(text, str))


def test_on_a_laptop_the_same_checks_pass():
    namespace: dict = {"__name__": "cards_laptop"}
    exec(STUDENT, namespace)
    raised = testkit.check_raises(namespace["Card"](5).pay, 10, error=namespace["CardError"], call="pay(10)")
    assert type(raised).__name__ == "LowBalance" and isinstance(raised, RuntimeError)


def test_a_submission_making_classes_without_end_costs_a_bounded_number():
    from autograder.sandbox import errors

    types = StudentTypes()
    built = [types.build(chain((f"E{i}", ["ValueError"]))) for i in range(errors.MAX_TYPES + 5)]
    assert built[0].__name__ == "E0" and built[-1] is builtin_mirror("Exception")
    assert len(types._built) == errors.MAX_TYPES
