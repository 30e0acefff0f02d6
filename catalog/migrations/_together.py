"""`Together`: operations that change only what the database never sees (a field's label, help text or
validators, a constraint's message), applied to the migration state as one. The migration loader
skips modules whose name starts with `_`.

Django re-renders a model's historical class, and the classes of the models related to it, after each
operation on it (`ProjectState.reload_model`); when a migration is unapplied it does so twice per
operation. Migration 0007's 98 such changes (82 labels, 16 messages) rendered 2,584 model classes in a
round trip from the latest state to 0001 and back, 45% of all 5,778; grouped, 238 (December 2026). The
five tests that migrate the catalog back and forth took 45 s of CPU before, 25 s after. The final
state is the same, and the database gets the same statements (`sqlmigrate catalog 0007`, both ways,
on PostgreSQL and SQLite; the migrated schema, `pg_dump -s`).

Only changes the database never sees may go together: an `AlterField` reads the model as it is before
and after the whole group, and on SQLite a field change the database sees rebuilds the table from the
model before the group, which would undo another field's change. Each field is checked when migrating,
with the test Django's `alter_field` makes itself (`_field_should_be_altered`).
"""

from django.db.migrations.operations import AlterConstraint, AlterField
from django.db.migrations.operations.base import Operation, OperationCategory


class Together(Operation):
    category = OperationCategory.ALTERATION
    reduces_to_sql = True
    reversible = True

    def __init__(self, operations: list[AlterField | AlterConstraint]):
        unfit = [op.describe() for op in operations if not isinstance(op, AlterField | AlterConstraint)]
        assert not unfit, f"only labels and messages go together: {unfit}"
        self.operations = operations

    def state_forwards(self, app_label, state):
        """Each operation's change to the state, then one re-render of the models they touched (and
        of the models related to those), where each operation re-rendered its own."""
        reloads = []
        state.reload_model = lambda app, model, delay=False: reloads.append(((app, model), delay))
        try:
            for operation in self.operations:
                operation.state_forwards(app_label, state)
        finally:
            del state.reload_model  # ProjectState's own method again
        if reloads:
            state.reload_models([model for model, _ in reloads], delay=all(delay for _, delay in reloads))

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self.check_unseen(app_label, schema_editor, from_state, to_state)
        for operation in self.operations:
            operation.database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self.check_unseen(app_label, schema_editor, from_state, to_state)
        for operation in reversed(self.operations):
            operation.database_backwards(app_label, schema_editor, from_state, to_state)

    def check_unseen(self, app_label, schema_editor, from_state, to_state):
        for operation in self.operations:
            if isinstance(operation, AlterField):
                old, new = (
                    state.apps.get_model(app_label, operation.model_name)._meta.get_field(operation.name)
                    for state in (from_state, to_state)
                )
                assert not schema_editor._field_should_be_altered(old, new), (
                    f"{operation.describe()} changes the database: it cannot go together with others"
                )

    def describe(self):
        models = sorted({operation.model_name_lower for operation in self.operations})
        return f"Alter {len(self.operations)} labels or messages of {', '.join(models)}"
