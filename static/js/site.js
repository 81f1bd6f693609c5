// Behaviour every page shares, declared in the markup (the CSP forbids inline handlers):
// auto-submitting selects, navigating selects and forms that ask before submitting.
import { wireDeclarativeControls } from "./lib/dom.js";

wireDeclarativeControls();
