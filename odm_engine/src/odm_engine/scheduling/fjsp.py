"""Reader of flexible job-shop instances in the standard ``.fjs`` text format.

First line: number of jobs, number of machines (and, in most files, the average number of
machines per operation). Then one line per job: its number of operations, then per operation
the number of eligible machines followed by that many ``machine duration`` pairs, machines
numbered from 1. Brandimarte's mk01-mk15 and most published instances use it.
"""

from odm_engine.scheduling.instance import Job, Machine, Operation


def read_fjs(text: str, seconds_per_unit: float = 60.0) -> tuple[list[Job], list[Machine]]:
    """Jobs and always-available machines of an instance; one time unit of the file becomes
    ``seconds_per_unit`` seconds (a minute: the scheduler's grid, so nothing is rounded)."""
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) < 2:
        raise ValueError("not an .fjs instance: the first line must give jobs and machines")
    try:
        job_count, machine_count = int(lines[0][0]), int(lines[0][1])
        rows = [[int(number) for number in line] for line in lines[1 : 1 + job_count]]
    except ValueError as error:
        raise ValueError(f"not an .fjs instance: {error}") from error
    if len(rows) != job_count:
        raise ValueError(f"the instance announces {job_count} jobs but has {len(rows)} lines")
    machines = [Machine(number) for number in range(1, machine_count + 1)]
    jobs = [
        Job(number, _operations(number, row, machine_count, seconds_per_unit))
        for number, row in enumerate(rows, start=1)
    ]
    return jobs, machines


def _operations(
    job: int, row: list[int], machine_count: int, seconds_per_unit: float
) -> tuple[Operation, ...]:
    operations, position = [], 1
    try:
        for index in range(row[0]):
            eligible = row[position]
            pairs = row[position + 1 : position + 1 + 2 * eligible]
            if len(pairs) != 2 * eligible:
                raise IndexError
            durations = {}
            for machine, duration in zip(pairs[::2], pairs[1::2], strict=True):
                if not 1 <= machine <= machine_count:
                    raise ValueError(f"job {job} names machine {machine} of {machine_count}")
                durations[machine] = duration * seconds_per_unit
            operations.append(Operation((job, index + 1), durations))
            position += 1 + 2 * eligible
    except IndexError:
        raise ValueError(f"job {job}: its line ends before its last operation") from None
    if position != len(row):
        raise ValueError(f"job {job}: {len(row) - position} numbers after its last operation")
    return tuple(operations)
