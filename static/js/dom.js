// The element builders every widget uses: HTML elements and SVG elements with their attributes.

const SVG = "http://www.w3.org/2000/svg";

function setAttributes(node, attributes) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== null && value !== undefined)
      node.setAttribute(key, value);
  }
}

/** An HTML element: attributes (true: present; false, null, undefined: absent) and text. */
function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  if (text) node.textContent = text;
  return node;
}

/** An SVG element with its attributes, appended to `parent` when one is given. */
function svgElement(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  setAttributes(node, attributes);
  return parent ? parent.appendChild(node) : node;
}

/**
 * Make a button unavailable (or available again) without `disabled`: a disabled button drops the
 * keyboard focus to the page, and a student who pressed it would lose their place and the focus
 * ring. It keeps the focus and says aria-disabled; `available` tells its handlers to ignore it.
 */
const setUnavailable = (button, off) => button.setAttribute("aria-disabled", String(Boolean(off)));

/** May this button act (see setUnavailable)? */
const available = (button) => button.getAttribute("aria-disabled") !== "true";

export { available, element, setUnavailable, svgElement };
