"""`flask --app app teacher create|list|delete`: teacher accounts, made by an administrator."""

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.store import get_store
from webapp.teach.auth import MAX_PASSWORD, MIN_PASSWORD, hash_password
from webapp.teach.store import DuplicateTeacher
from webapp.teach.validate import InvalidText, normalise_email

teacher_cli = AppGroup("teacher", help="Create, list and delete teacher accounts.")


def _email(value: str) -> str:
    try:
        return normalise_email(value)
    except InvalidText as exc:
        raise click.ClickException(str(exc)) from None


def read_password() -> str:
    """The new password: prompted twice on a terminal, else one line of standard input."""
    stdin = sys.stdin
    if stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"The password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise click.ClickException(f"The password can have at most {MAX_PASSWORD} characters.")
    return password


@teacher_cli.command("create")
@click.argument("email")
def create(email: str) -> None:
    """Create a teacher account for EMAIL (the password is asked for, or read from stdin)."""
    email = _email(email)
    store = get_store()
    if store.teacher_by_email(email) is not None:
        raise click.ClickException(f"A teacher with the email {email} already exists.")
    try:
        store.create_teacher(email, hash_password(read_password()))
    except DuplicateTeacher:
        raise click.ClickException(f"A teacher with the email {email} already exists.") from None
    click.echo(f"Created the teacher {email}. They log in at /teach/login.")


@teacher_cli.command("list")
def list_teachers() -> None:
    """List the teacher accounts: email, when created, number of classes."""
    rows = get_store().list_teachers()
    if not rows:
        click.echo("No teacher accounts yet.")
    for row in rows:
        created = row["created_at"].strftime("%Y-%m-%d")
        click.echo(f"{row['email']}\tcreated {created}\t{row['classes']} classes")


@teacher_cli.command("delete")
@click.argument("email")
def delete(email: str) -> None:
    """Delete the teacher EMAIL with their classes (the students' own work stays)."""
    email = _email(email)
    if not get_store().delete_teacher(email):
        raise click.ClickException(f"No teacher has the email {email}.")
    click.echo(f"Deleted the teacher {email} and their classes.")


def init_app(app: Flask) -> None:
    """Add the `teacher` command group to `flask`."""
    app.cli.add_command(teacher_cli)
