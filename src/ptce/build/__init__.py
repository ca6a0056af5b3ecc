"""The write side: `ptce build` (sources to dumps, VoID and DCAT), the bundled build, `ptce publish`."""
