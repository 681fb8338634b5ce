import { describe, expect, it } from "vitest";

import { guardControls, keepMouseInside } from "../src/dom";

describe("notebook guards", () => {
  it("marks every control so JupyterLab's shortcuts skip it", () => {
    const root = document.createElement("div");
    root.append(document.createElement("input"), document.createElement("select"), document.createElement("button"));
    const plain = document.createElement("span");
    root.append(plain);
    guardControls(root);
    for (const control of root.querySelectorAll("input, select, button")) {
      expect(control.getAttribute("data-lm-suppress-shortcuts")).toBe("true");
    }
    expect(plain.hasAttribute("data-lm-suppress-shortcuts")).toBe(false);
  });

  it("keeps mouse presses inside the area from reaching the notebook", () => {
    const notebook = document.createElement("div");
    const area = document.createElement("div");
    const canvas = document.createElement("canvas");
    area.append(canvas);
    notebook.append(area);
    let seenByCanvas = 0;
    let seenByNotebook = 0;
    canvas.addEventListener("mousedown", () => seenByCanvas++);
    notebook.addEventListener("mousedown", () => seenByNotebook++);
    keepMouseInside(area);
    canvas.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, shiftKey: true }));
    expect([seenByCanvas, seenByNotebook]).toEqual([1, 0]);
  });
});
