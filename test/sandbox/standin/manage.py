"""`manage.py migrate`: the schema the stand-in serves, applied once per cluster."""
import sys

from standin import connect_db, migrate

if __name__ == "__main__":
    if sys.argv[1:2] != ["migrate"]:
        sys.exit(f"stand-in manage.py only knows 'migrate', not {sys.argv[1:]}")
    with connect_db() as conn:
        migrate(conn)
    print("migrations applied")
