"""The wording: question paraphrases per question type and the phrasing variants of answers.

Pure data, so a new paraphrase is one line here. Each question type keeps FineVQ's exact
wording as its first template (users know those prompts) and adds paraphrases, because a
model tuned on a single phrasing learns the phrasing, not the task. Answer variants are
picked at random for training data; `ask` always uses the first, so its answers are stable.
Every template must be understood by `parse.parse_question` (a test checks each one).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..taxonomy import Dimension


@dataclass(frozen=True)
class Template:
    text: str
    #: The question asks for the bare answer (a letter, Yes/No), as FineVQ's files do.
    terse: bool = False


#: How a dimension is named inside a sentence ("Considering blur, ..."; "the temporal quality of ...").
NAME = {d: d.value for d in Dimension} | {Dimension.OVERALL: "overall quality"}
PHRASE = NAME | {Dimension.ARTIFACT: "artifacts", Dimension.TEMPORAL: "temporal quality"}
#: FineVQ's yes/no questions name the distortion, not the dimension.
DISTORTION_NOUN = {
    Dimension.COLOR: "color distortion",
    Dimension.NOISE: "noise",
    Dimension.ARTIFACT: "artifact",
    Dimension.BLUR: "blur",
    Dimension.TEMPORAL: "temporal distortion",
}
#: Option texts of FineVQ's multiple-choice questions.
OPTION_NAME = {d: d.value.capitalize() for d in Dimension}
NO_TYPE_OPTION = "None"
GOOD_OPTION = "Video quality is good"

SCALE_TEXT = {100: "on a scale from 0 to 100", 5: "on a scale from 1 to 5"}

RATING = (
    Template("Considering {name}, how would you rate the quality level of this video?"),
    Template("How would you rate the {phrase} of this video?"),
    Template("In terms of {phrase}, what quality level does this video reach?"),
    Template("Rate the {phrase} of this video as one of: {levels}."),
    Template("What is the quality level of this video when judged only by its {phrase}?"),
    Template("How good is this video with respect to {phrase}?"),
)
SCORE = (
    Template("Considering {name}, please give the quality score of this video."),
    Template("What score would you give the {phrase} of this video, {scale}?"),
    Template("Score the {phrase} of this video {scale}."),
    Template("Give a quality score {scale} for the {phrase} of this video."),
    Template("How many points does this video deserve for its {phrase}, {scale}?"),
    Template("Please assign the {phrase} of this video a numerical score {scale}."),
)
YES_NO = (
    Template("If there is no {noun} in the video, please answer [No]. If there is {noun} in the video, please answer [Yes].", terse=True),
    Template("Is there any {noun} in this video?"),
    Template("Is there any {noun} in this video? Answer yes or no.", terse=True),
    Template("Does this video suffer from {noun}?"),
    Template("Can you see any {noun} in this video?"),
    Template("Answer [Yes] if the video contains {noun}, otherwise answer [No].", terse=True),
    Template("Is this video affected by {noun}?"),
)
WHICH_TYPE = (
    Template("Please select one distortion type from below options{brace}Just answer the corresponding letter.", terse=True),
    Template("Which distortion type exists in this video?\n{lines}"),
    Template("Which of the following distortions can be seen in this video? {brace}"),
    Template("Choose the distortion that is present in this video.\n{lines}\nAnswer with the option's letter.", terse=True),
    Template("Which distortion exists in this video? Options: {brace}"),
    Template("What kind of distortion does this video show?\n{lines}"),
)
WHICH_DIMENSION = (
    Template("Which distortion dimension has the greatest impact on video quality, choose from the following options{brace}(Just answer the corresponding letter)", terse=True),
    Template("Which dimension hurts the quality of this video the most?\n{lines}"),
    Template("Which aspect has the greatest impact on the overall quality of this video? {brace}"),
    Template("Among the following, which dimension degrades this video the most?\n{lines}\nAnswer with the letter only.", terse=True),
    Template("What affects the quality of this video most? {brace}"),
)
DESCRIPTION = (
    Template("Please describe the quality of this video in detail."),
    Template("Assess this video's quality dimension by dimension, then conclude with its overall quality."),
    Template("How is the quality of this video? Explain your reasoning."),
    Template("Analyze the color, noise, artifacts, blur and temporal quality of this video, and give its overall quality."),
    Template("Give a detailed assessment of this video's quality and explain which aspect affects it most."),
    Template("Could you explain what limits the quality of this video?"),
)
WHEN = (
    Template("When does {clause}?"),
    Template("At what time does {clause}?"),
    Template("At which moments does {noun} occur in this video?"),
    Template("In which seconds of the video can {noun} be seen?"),
    Template("Please point out when {noun} happens in this video."),
    Template("Give the time spans of {noun} in this video."),
)
HOW_OFTEN = (
    Template("How often does {clause}?"),
    Template("How many times does {clause}?"),
    Template("How frequently does {noun} occur in this video?"),
    Template("How many {noun} events are there in this video?"),
    Template("Count the {noun} events in this video."),
    Template("Does {clause}, and if so, how often?"),
)
STALL_SUMMARY = (
    Template("Please summarize the stalling in this video."),
    Template("Give a summary of the stalling events in this video."),
    Template("Describe the rebuffering of this video: how many stalls, how long each lasts, and what share of the video they take."),
    Template("What are the stalling statistics of this video?"),
    Template("Summarize how and when the playback of this video stalls."),
    Template("Provide an overview of the stalling events in this video."),
)


@dataclass(frozen=True)
class EventWords:
    """How a timed distortion is said: "does the camera shake", "the camera shakes"."""

    clause: str
    sentence: str


EVENT_WORDS = {
    "stalling": EventWords("the video stall", "the video stalls"),
    "shaking": EventWords("the camera shake", "the camera shakes"),
    "flickering": EventWords("the picture flicker", "the picture flickers"),
    "lagging": EventWords("the video lag", "the video lags"),
}

# --- answers: the first variant of each is `ask`'s -----------------------------------------

RATING_ANSWERS = (
    "Considering {name} dimension, the quality of this video is {level}.",
    "The {phrase} of this video is {level}.",
    "In terms of {phrase}, this video is {level}.",
    "This video's {phrase} is {level}.",
)
#: Severity words describe the distortion, not the quality ("undistorted", "strong"), so they are "rated".
SEVERITY_RATING_ANSWERS = (
    "Considering {name} dimension, this video is rated {level}.",
    "The {name} of this video is rated {level}.",
    "In terms of {phrase}, the video is rated {level}.",
    "{Name} level: {level}.",
)
SCORE_ANSWERS = (
    "Considering {name} dimension, the quality score of this video is {score}.",
    "The {phrase} score of this video is {score}.",
    "I would give the {phrase} of this video a score of {score}.",
    "This video scores {score} for {phrase}.",
)
YES_ANSWERS = (
    "Yes, there is {noun} in this video{detail}.",
    "Yes, this video shows {noun}{detail}.",
    "Yes. The video is affected by {noun}{detail}.",
)
NO_ANSWERS = (
    "No, there is no {noun} in this video.",
    "No, the video shows no {noun}.",
    "No. The {phrase} of this video is {level}.",
)
QUALITY_SENTENCES = (
    "The {phrase} of this video is {level}{cause}.",
    "In terms of {phrase}, the video is {level}{cause}.",
    "Its {phrase} is {level}{cause}.",
    "As for {phrase}, it is {level}{cause}.",
)
SEVERITY_SENTENCES = (
    "The {name} is rated {level}{cause}.",
    "In terms of {phrase}, the video is rated {level}{cause}.",
    "{Name}: {level}{cause}.",
    "As for {phrase}, the distortion level is {level}{cause}.",
)
CAUSES = (", mainly because of {types}", ", mostly due to {types}", ", caused mainly by {types}")
#: For a dimension in its best band that still shows a type (a brief stall in smooth video).
TRACES = (", apart from some {types}", ", with only traces of {types}", ", although some {types} appears")
DOMINANT = (
    "Among these, {phrase} has the greatest impact on the overall quality{especially}.",
    "{Phrase} is the dimension that hurts this video most{especially}.",
    "The main limiting factor is {phrase}{especially}.",
    "Of all dimensions, {phrase} affects the overall quality most{especially}.",
)
ESPECIALLY = ", especially the {type}"
NO_DOMINANT = (
    "No dimension is clearly degraded.",
    "None of the dimensions shows a clear distortion.",
    "Nothing in particular degrades this video.",
)
OVERALL = (
    "Therefore, the overall quality of this video is {level}.",
    "So the overall quality is {level}.",
    "Taken together, the overall quality of the video is {level}.",
    "As a result, the video's overall quality is {level}.",
)
WHEN_ANSWERS = (
    "{Sentence} {spans}.",
    "{Noun} happens {spans}.",
    "There is {noun} {spans}.",
)
NEVER_ANSWERS = (
    "There is no {noun} in this video.",
    "No {noun} occurs in this video.",
)
HOW_OFTEN_ANSWERS = (
    "{Sentence} {times}, {total} s in total.",
    "There {are} {count} {noun} event{s} in this video, {total} s in total.",
)
