"""How triggers deliver: mail (``email``) and HTTP calls (``rest``), over ``http`` (which
refuses private targets, signs, times out and reads bounded answers)."""
