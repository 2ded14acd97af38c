"""The CP-SAT model: one module per constraint family, assembled by `builder.ScheduleModel`."""
