// The server's settings for the browser (API root and the like), read once from the page.
const element = document.getElementById("app-config");

/** Settings from the page's JSON block: URLs are never hard-coded in JavaScript. */
export const config = element ? JSON.parse(element.textContent) : { api: "/api/" };
