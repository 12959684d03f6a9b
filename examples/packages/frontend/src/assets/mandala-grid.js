// SPDX-License-Identifier: Apache-2.0
// A 3x3 grid: the goal in the middle cell, the eight themes around it.
const ORDER = [0, 1, 2, 7, -1, 3, 6, 5, 4];

export function renderMandala(el, goal) {
  el.replaceChildren();
  for (const i of ORDER) {
    const cell = document.createElement('div');
    cell.className = i < 0 ? 'cell goal' : 'cell';
    cell.textContent = i < 0 ? goal.centre : goal.themes[i];
    el.appendChild(cell);
  }
}
