"""Assessment: reading and grading a student's answers (the quiz, the Your-turn grader).

Knows the engine, and reads its files with `lessonengine.content.files`; never imports Flask.
"""
