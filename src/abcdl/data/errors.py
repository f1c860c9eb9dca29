"""The data errors: :class:`DataError`, and :class:`DataMissingError` with the fields a person needs.

A missing dataset is the error learners meet most (a dead mirror, a classroom
firewall, a proxy), so its message is short and says what to do: the first line
says what went wrong, the next ones the folder and the file names to put there
and the option that points elsewhere, then the same in Korean on lines of their
own.  The long part (every URL tried and why it failed, the folders searched,
the files' SHA-256) is in :meth:`DataMissingError.details`, which the command
line prints only with ``--verbose``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DataError", "DataMissingError"]


class DataError(ValueError):
    """A data file is missing, corrupt or of the wrong kind, or could not be downloaded."""


@dataclass(eq=False)
class DataMissingError(DataError):
    """The files of ``dataset`` are neither on this machine nor downloadable.

    Attributes
    ----------
    title : str
        The dataset's name for people ("MNIST").
    dataset : str
        Its folder name ("mnist"): ``ABCDL_DATA`` and ``--data-root`` point at a folder holding it.
    missing : list of str
        The file names that could not be found or downloaded.
    files : list of str
        All the dataset's file names (what a complete folder holds).
    target : Path
        The folder to put the files in (where a download would have gone).
    searched : list of Path
        The folders looked in, in order.
    attempts : list of str
        One ``"url: reason"`` line per failed download; empty when downloading was off.
    checksums : dict
        File name -> SHA-256 of its uncompressed content.
    download : bool
        Whether a download was tried.
    extra_hint : tuple of (English, Korean) lines, optional
        Another way to get the files (Debian's package for Fashion-MNIST).
    """

    title: str
    dataset: str
    missing: list[str]
    files: list[str]
    target: Path
    searched: list[Path] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)
    download: bool = True
    extra_hint: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message())

    def lines(self, option: str = "root=", details_hint: str | None = "the error's details() lists them"
              ) -> list[str]:
        """The short message, line by line; ``option`` names the way to pass a folder
        (``root=`` in Python, ``--data-root DIR`` on the command line), ``details_hint``
        where the long part is (None: no such line)."""
        gone = "could not be downloaded" if self.download else "downloading was turned off"
        if len(self.missing) == len(self.files):
            first = f"{self.title} is not on this machine and {gone}."
            first_ko = f"{self.title} 데이터가 이 컴퓨터에 없고, 내려받지도 못했습니다."
        else:
            names = ", ".join(self.missing)
            first = f"{self.title} is incomplete on this machine (missing {names}) and {gone}."
            first_ko = f"{self.title} 파일 일부({names})가 없고, 내려받지도 못했습니다."
        half = (len(self.files) + 1) // 2
        en = [first,
              f"To fix it, put these {len(self.files)} files (gzip-compressed or not) in {self.target}:",
              "  " + "  ".join(self.files[:half]),
              "  " + "  ".join(self.files[half:]),
              f"or pass {option} (or set ABCDL_DATA) to a folder that holds {self.dataset}/."]
        ko = [first_ko,
              f"위 파일들을 {self.target} 폴더에 넣으세요.",
              f"또는 {self.dataset}/ 폴더가 든 폴더를 {option} (또는 ABCDL_DATA 환경 변수)로 지정하세요."]
        if self.extra_hint is not None:
            en.append(self.extra_hint[0])
            ko.append(self.extra_hint[1])
        if details_hint:
            en.append(f"Every download attempt and the files' SHA-256: {details_hint}.")
        return [*en, *ko]

    def message(self) -> str:
        """The short message as one text (what ``str(error)`` gives)."""
        return "\n".join(self.lines())

    def details(self) -> list[str]:
        """The long part: folders searched, every download attempt and why it failed, the SHA-256 table."""
        out = ["Searched: " + ", ".join(str(f) for f in self.searched)]
        if self.attempts:
            out += ["Download attempts:", *("  " + a for a in self.attempts)]
        else:
            out.append("Download attempts: none (downloading was turned off)")
        out.append("SHA-256 of the uncompressed files:")
        out += [f"  {digest}  {name}" for name, digest in self.checksums.items()]
        return out
