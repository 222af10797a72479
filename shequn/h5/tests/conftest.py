import pytest

IPHONE_SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture
def phone_page(chromium_page):
    """A Chromium page the size of an iPhone 13/14 screen (390×844), in Chinese."""
    return chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                         user_agent=IPHONE_SAFARI)
