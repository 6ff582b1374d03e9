"""Assessment: reading and grading a student's answers (the quiz, the Your-turn grader).

Knows the engine; never imports Flask.
"""
